package org.blt4j.langchain4j;

import java.nio.file.Path;

/** The golden BLT (blt_base) and its entropy model, as the core tests find them. */
final class Golden {
    /** blt_base's patching threshold (its case.json). */
    static final double T = 1.8886666297912598;

    private Golden() {}

    /** The golden cases folder, by the core tests' rule ({@link org.blt4j.golden.GoldenCases#root}). */
    static Path root() {
        return org.blt4j.golden.GoldenCases.root();
    }

    static Path blt() {
        return root().resolve("blt_base");
    }

    static Path entropyModel() {
        return root().resolve("entropy_model_forward");
    }
}
