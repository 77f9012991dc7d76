package org.blt4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.blt4j.eval.QuantizedAccuracy;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.model.Quantizer;

/**
 * int8 against fp32 on held-out text (docs/int8.md): quantizes a BLT and its entropy model into a temporary folder
 * (or takes int8 folders already written), then prints bits per byte of both pairs and the patch-boundary agreement
 * of the two entropy models ({@link QuantizedAccuracy}).
 */
public final class Int8AccuracyBench {
    private Int8AccuracyBench() {}

    /**
     * @param bltQ int8 copies to use instead of quantizing (both null: quantize into a temporary folder)
     */
    public record Options(Path blt, Path em, Path bltQ, Path emQ, Path data, double heldOutFraction, long maxBytes,
                          int seqLen, int block) {}

    public static void run(PrintStream out, Options o) throws IOException {
        if ((o.bltQ() == null) != (o.emQ() == null))
            throw new Blt4jException("--int8-model and --int8-entropy-model go together (or neither: both are quantized here)");
        Path tmp = null;
        try {
            Path bltQ = o.bltQ(), emQ = o.emQ();
            if (bltQ == null) {
                tmp = TempDirs.create(null, "blt4j-int8-");
                bltQ = tmp.resolve("blt");
                emQ = tmp.resolve("entropy");
                Quantizer.quantize(o.blt(), bltQ, o.block(), null);
                Quantizer.quantize(o.em(), emQ, o.block(), null);
                out.printf("quantized %s and %s (block %d) into %s%n", o.blt(), o.em(), o.block(), tmp);
            }
            ByteLatentTransformer blt = ModelLoader.blt(o.blt(), true), bq = ModelLoader.blt(bltQ, true);
            EntropyModel em = ModelLoader.entropyModel(o.em()), eq = ModelLoader.entropyModel(emQ);
            DataSplit split = DataSplit.split(Corpus.read(o.data()), o.heldOutFraction());
            long t0 = System.nanoTime();
            QuantizedAccuracy.Result r = QuantizedAccuracy.compare(blt, em, bq, eq, split.heldOut(), o.seqLen(), o.maxBytes());
            out.printf("held-out split of %s (last %.0f%%, %,d bytes): the first %,d bytes scored, rows of %d bytes%n",
                    o.data(), 100 * o.heldOutFraction(), split.heldOutBytes(), r.bytes(), o.seqLen());
            out.printf("BLT bits per byte:           fp32 %.4f  int8 %.4f  (%+.2f%%; each patched by its own entropy model)%n",
                    r.blt()[0], r.blt()[1], 100 * r.bltChange());
            out.printf("entropy model bits per byte: fp32 %.4f  int8 %.4f  (%+.2f%%)%n", r.entropy()[0], r.entropy()[1],
                    100 * r.entropyChange());
            out.printf("patch boundaries (the BLT's patcher): int8 agrees with fp32 on %.3f%% of %,d positions (%,d fp32 patch starts)%n",
                    100 * r.boundaryAgreement(), r.positions(), r.starts());
            out.printf("goals: bpb within 1%%: %s; boundaries >= 99%%: %s (%.0f s)%n",
                    Math.abs(r.bltChange()) <= 0.01 && Math.abs(r.entropyChange()) <= 0.01 ? "yes" : "NO",
                    r.boundaryAgreement() >= 0.99 ? "yes" : "NO", (System.nanoTime() - t0) / 1e9);
        } finally {
            TempDirs.delete(tmp);
        }
    }
}
