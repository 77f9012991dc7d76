package org.blt4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.Quantizer;
import org.blt4j.tensor.Int8Matrix;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j quantize: an int8 copy of a checkpoint (docs/int8.md). */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write an int8 copy of a hub checkpoint (BLT or entropy model): linear weights as int8 with one fp32 "
                + "scale per block of input columns; embeddings, hash tables and norms as stored (docs/int8.md).")
final class QuantizeCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "the fp32/bf16 checkpoint (or a run folder)")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "new folder to write (must not exist)")
    Path out;

    @Option(names = "--block", paramLabel = "B", description = "input columns per scale (default: ${DEFAULT-VALUE})")
    int block = Int8Matrix.DEFAULT_BLOCK;

    @Option(names = "--verbose", description = "print each weight as it is quantized")
    boolean verbose;

    @Override
    public Integer call() {
        if (block < 1) throw new Blt4jException("--block must be >= 1, got " + block);
        if (out.toString().isBlank()) throw new Blt4jException("--out must name a new folder, got an empty path");
        java.nio.file.Path dir = ModelDirs.resolveModel(model);
        if (org.blt4j.eval.LanguageModels.tokenizerTxt(model, dir) != null)   // its copy would not know its tokenizer
            throw new Blt4jException(model + " is a token LM (it has " + org.blt4j.eval.LanguageModels.TOKENIZER_TXT
                    + "): quantize takes a BLT or an entropy model");
        long t0 = System.nanoTime();
        Quantizer.Report r = Quantizer.quantize(dir, out, block, verbose ? System.out : null);
        System.out.printf("wrote %s: %d weights int8 (block %d), %d tensors kept as stored; %.3f GB → %.3f GB (%.1f s)%n",
                out, r.quantized(), block, r.kept(), r.srcBytes() / 1e9, r.outBytes() / 1e9, (System.nanoTime() - t0) / 1e9);
        return 0;
    }
}
