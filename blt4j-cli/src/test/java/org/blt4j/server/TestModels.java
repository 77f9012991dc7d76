package org.blt4j.server;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.generate.LoadedModels;

/** The tiny golden BLT and its entropy model (loaded once), with the threshold their golden case uses. */
public final class TestModels {
    public static final double THRESHOLD = 1.8886666297912598;
    private static LoadedModels models;

    private TestModels() {}

    /**
     * $BLT_GOLDEN_DIR, else -Dblt.golden.dir, else the repository's testdata/golden, found by walking up from the
     * working directory (the same rule as the core module's GoldenCases.root, which this module's tests cannot see).
     */
    public static Path goldenRoot() {
        String env = System.getenv("BLT_GOLDEN_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("blt.golden.dir");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        Path vendored = Path.of("testdata", "golden");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
            if (Files.isDirectory(dir.resolve(vendored))) return dir.resolve(vendored);
        return vendored;
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
