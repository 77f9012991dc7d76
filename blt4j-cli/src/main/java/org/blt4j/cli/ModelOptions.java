package org.blt4j.cli;

import java.nio.file.Path;
import org.blt4j.generate.LoadedModels;
import picocli.CommandLine.Option;

/** --model, --entropy-model and --threshold: the BLT, the entropy model that patches its input, and its threshold. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "BLT checkpoint (or training run folder)")
    Path model;

    @Option(names = "--entropy-model", required = true, paramLabel = "DIR", description = "entropy model checkpoint (or run folder)")
    Path entropyModel;

    @Option(names = "--threshold", paramLabel = "T", description = "entropy patching threshold (default: the BLT config's)")
    Double threshold;

    /** Both models, the threshold applied when given. */
    LoadedModels load() {
        return LoadedModels.load(model, entropyModel, threshold);
    }
}
