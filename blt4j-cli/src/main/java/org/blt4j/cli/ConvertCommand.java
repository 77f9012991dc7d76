package org.blt4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.BltArgs;
import org.blt4j.model.HfConfig;
import org.blt4j.model.HfLayout;
import org.blt4j.model.ReferenceLayout;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * blt4j convert: a BLT checkpoint in the other layout (hub ↔ Hugging Face BltForCausalLM, docs/hf-layout.md; the
 * reference trainer's params.json + consolidated.pth → hub, docs/reference-layout.md).
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Write a BLT checkpoint in the other layout: hub (config.json {\"args\"} + model.safetensors) or "
                + "Hugging Face (BltForCausalLM); a reference-trainer folder (params.json + consolidated.pth, with "
                + "entropy_model/) converts to hub. The new folder appears whole (written aside, then renamed).")
final class ConvertCommand implements Callable<Integer> {
    enum Layout { hf, hub }

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the checkpoint to convert (hub, HF or reference layout)")
    Path model;

    @Option(names = "--to", required = true, paramLabel = "LAYOUT", description = "hf or hub")
    Layout to;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "new folder to write (must not exist)")
    Path out;

    @Option(names = "--entropy-model", paramLabel = "DIR",
            description = "with --to hf: the entropy model to store as the HF patcher (patch_in_forward true); "
                    + "--to hub writes an HF patcher to OUT/" + HfLayout.ENTROPY_DIR)
    Path entropyModel;

    @Override
    public Integer call() {
        boolean isHf = HfLayout.isHf(model);
        if (ReferenceLayout.isReference(model)) {
            if (to != Layout.hub) throw new Blt4jException(model + " is in the reference layout (params.json): convert it --to hub first");
            if (entropyModel != null) throw new Blt4jException("--entropy-model goes with --to hf; a reference folder's "
                    + ReferenceLayout.ENTROPY_DIR + "/ is converted to OUT/" + ReferenceLayout.ENTROPY_DIR);
            ReferenceLayout.toHub(model, out);
            System.out.println("wrote " + out + " (hub layout)");
            return 0;
        }
        if (to == Layout.hf) {
            if (isHf) throw new Blt4jException(model + " is already in the HF layout (config.json has model_type blt, no \"args\")");
            Path dir = ModelDirs.resolveModel(model);
            Path em = entropyModel == null ? null : ModelDirs.resolveModel(entropyModel);
            if (!org.blt4j.model.ModelLoader.isBlt(dir))
                throw new Blt4jException("--model " + model + " holds an entropy model, not a BLT: convert takes the BLT, and its"
                        + " entropy model goes with --entropy-model");
            if (em != null && org.blt4j.model.ModelLoader.isBlt(em))
                throw new Blt4jException("--entropy-model " + entropyModel + " holds a BLT, not an entropy model");
            for (Path d : em == null ? java.util.List.of(dir) : java.util.List.of(dir, em))
                if (org.blt4j.model.Quantization.of(d) != null)
                    throw new Blt4jException(d.resolve(Checkpoint.CONFIG) + ": field \"quantization\": an int8 checkpoint "
                            + "cannot be converted to the HF layout; convert the fp32/bf16 original");
            HfLayout.toHf(dir, em, out);
            for (String d : HfConfig.hfDifferences(Checkpoint.readArgs(dir, BltArgs.class)))
                System.err.println("warning: transformers computes this model differently: " + d);
        } else {
            if (!isHf) throw new Blt4jException(model + " is not in the HF layout (a config.json BltConfig without \"args\") nor in the"
                    + " reference layout (params.json + consolidated.pth)");
            if (entropyModel != null) throw new Blt4jException("--entropy-model goes with --to hf; --to hub writes the HF patcher to OUT/" + HfLayout.ENTROPY_DIR);
            HfLayout.toHub(model, out);
        }
        System.out.println("wrote " + out + " (" + to + " layout)");
        return 0;
    }
}
