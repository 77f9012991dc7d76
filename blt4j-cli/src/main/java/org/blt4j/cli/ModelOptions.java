package org.blt4j.cli;

import java.nio.file.Path;
import org.blt4j.generate.LoadedModels;
import picocli.CommandLine.Option;

/** --model, --entropy-model and --threshold: the BLT, the entropy model that patches its input, and its threshold. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "BLT checkpoint (or training run folder)")
    Path model;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model checkpoint (or run folder); default:"
            + " the patcher of a Hugging Face --model folder, else entropy_model or entropy in or beside the --model folder")
    Path entropyModel;

    @Option(names = "--threshold", paramLabel = "T", description = "entropy patching threshold (default: the BLT config's)")
    Double threshold;

    /** The entropy model's folder: --entropy-model, else {@link LoadedModels#entropyModelFor} --model. */
    Path entropyModel() {
        return entropyModel != null ? entropyModel : LoadedModels.entropyModelFor(model);
    }

    /** Both models, the threshold applied when given. */
    LoadedModels load() {
        return LoadedModels.load(model, entropyModel(), threshold);
    }
}
