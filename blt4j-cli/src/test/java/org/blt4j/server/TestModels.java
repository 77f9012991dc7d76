package org.blt4j.server;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.generate.LoadedModels;

/** The tiny golden BLT and its entropy model (loaded once), with the threshold their golden case uses. */
public final class TestModels {
    public static final double THRESHOLD = 1.8886666297912598;
    private static LoadedModels models;

    private TestModels() {}

    /** The golden cases folder, by the core tests' rule ({@link org.blt4j.golden.GoldenCases#root}). */
    public static Path goldenRoot() {
        return org.blt4j.golden.GoldenCases.root();
    }

    public static synchronized LoadedModels get() {
        if (models == null) {
            Path root = goldenRoot();
            if (!Files.isDirectory(root.resolve("blt_base")))
                throw new IllegalStateException("golden models not found under " + root.toAbsolutePath() + ": set BLT_GOLDEN_DIR");
            models = LoadedModels.load(root.resolve("blt_base"), root.resolve("entropy_model_forward"), THRESHOLD);
        }
        return models;
    }
}
