package org.blt4j.cli;

import java.nio.file.Path;
import org.blt4j.generate.LoadedModels;
import picocli.CommandLine.Option;

/** --model, --entropy-model and --threshold: the BLT, the entropy model that patches its input, and its threshold. */
final class ModelOptions {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "BLT checkpoint (or training run folder)")
    Path model;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model checkpoint (or run folder); default:"
            + " the patcher of a Hugging Face --model folder, else the entropy model its training run recorded, else"
            + " entropy_model or entropy in or beside the --model folder")
    Path entropyModel;

    @Option(names = "--threshold", paramLabel = "T", description = "entropy patching threshold (default: the BLT config's)")
    Double threshold;

    /** The entropy model's folder: --entropy-model, else {@link LoadedModels#entropyModelFor} --model. */
    Path entropyModel() {
        requireBlt(model);
        return entropyModel != null ? entropyModel : LoadedModels.entropyModelFor(model);
    }

    /**
     * Refuses a --model that is not a BLT, saying what it is (a token LM was reported as "no entropy model found", or
     * as an entropy model given as --entropy-model).
     */
    static void requireBlt(Path model) {
        Path dir = org.blt4j.io.ModelDirs.resolveModel(model);
        if (org.blt4j.model.ModelLoader.isBlt(dir)) return;
        String what = org.blt4j.eval.LanguageModels.tokenizerTxt(model, dir) != null ? "a token LM (it has a tokenizer.txt)"
                : "an entropy model or byte LM";
        throw new org.blt4j.Blt4jException("--model " + model + " is " + what + ", not a BLT: this command needs a BLT;"
                + " eval and eval-noise take any of them");
    }

    /** Both models, the threshold applied when given. */
    LoadedModels load() {
        return LoadedModels.load(model, entropyModel(), threshold);
    }
}
