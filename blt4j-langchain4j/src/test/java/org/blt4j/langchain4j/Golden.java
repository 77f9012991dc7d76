package org.blt4j.langchain4j;

import java.nio.file.Files;
import java.nio.file.Path;

/** The golden BLT (blt_base) and its entropy model, as the core tests find them. */
final class Golden {
    /** blt_base's patching threshold (its case.json). */
    static final double T = 1.8886666297912598;

    private Golden() {}

    /** $BLT_GOLDEN_DIR, else -Dblt.golden.dir, else the repository's testdata/golden (walking up). */
    static Path root() {
        String env = System.getenv("BLT_GOLDEN_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("blt.golden.dir");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        Path vendored = Path.of("testdata", "golden");
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent())
            if (Files.isDirectory(dir.resolve(vendored))) return dir.resolve(vendored);
        return vendored;
    }

    static Path blt() {
        return root().resolve("blt_base");
    }

    static Path entropyModel() {
        return root().resolve("entropy_model_forward");
    }
}
