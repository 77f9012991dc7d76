package org.blt4j.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.TokenStream;
import org.blt4j.eval.Flops;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.BaselineEntropies;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.model.ModelLoader;
import org.blt4j.nn.Init;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.FmaPeak;
import org.blt4j.tensor.Parallel;

/**
 * Throughput of the entropy pass (what patching a corpus costs): corpus MB/s, the model's forward FLOPs per byte on
 * that corpus ({@link Flops#entropyForwardOfDocument} summed over its documents: warmup recomputation and masked
 * attention scores are work that earns nothing), the GFLOP/s that gives and its share of the fp32 FMA peak measured in
 * the same run (best of before and after). The pass before batching ({@link BaselineEntropies}) runs on a slice of
 * the corpus for comparison, and the two must agree up to rounding.
 */
public final class EntropyBench {
    private EntropyBench() {}

    /** @param model an entropy model folder, or null for random weights with configs/entropy-sotu.yaml's args */
    public record Options(Path data, double mb, Path model, double baselineMb) {}

    public static void run(PrintStream out, Options o) {
        if (!(o.mb() > 0) || !(o.baselineMb() >= 0)) throw new Blt4jException("--mb must be positive and --baseline-mb >= 0");
        EntropyModel model = o.model() != null ? ModelLoader.entropyModel(ModelDirs.resolveModel(o.model())) : random();
        LmArgs a = model.args();
        List<byte[]> docs = prefix(Corpus.readPrefix(o.data(), (long) (o.mb() * 1e6)), (long) (o.mb() * 1e6));
        Chunking chunking = Chunking.exact(a, Parallel.poolSize());
        out.printf("entropy pass: %s (dim %d, %d layers, %d heads, window %d), %s, %,d documents, %.2f MB; %d kernel threads%n",
                o.model() != null ? o.model() : "random entropy-sotu model", a.dim(), a.nLayers(), a.nHeads(), a.window(),
                o.data(), docs.size(), Corpus.totalBytes(docs) / 1e6, Parallel.poolSize());
        out.printf("forward FLOPs per byte: %,.0f on this corpus (%,.0f for long documents: Flops.entropyForwardPerByte)%n",
                flops(a, docs) / Corpus.totalBytes(docs), Flops.entropyForwardPerByte(a));
        double peak = FmaPeak.gflops();
        List<byte[]> small = prefix(docs, 200_000);
        for (int w = 0; w < 3; w++) ChunkedEntropies.compute(model, TokenStream.encode(small), chunking, ChunkedEntropies.Progress.NONE);
        Timed batched = time(docs, ids -> ChunkedEntropies.compute(model, ids, chunking, ChunkedEntropies.Progress.NONE));
        Timed baseline = null;
        float maxDiff = 0;
        if (o.baselineMb() > 0) {
            List<byte[]> part = prefix(docs, (long) (o.baselineMb() * 1e6));
            BaselineEntropies.compute(model, TokenStream.encode(small), chunking);  // warm-up
            baseline = time(part, ids -> BaselineEntropies.compute(model, ids, chunking));
            float[] want = ChunkedEntropies.compute(model, TokenStream.encode(part), chunking, ChunkedEntropies.Progress.NONE);
            for (int i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(want[i] - baseline.h()[i]));
        }
        peak = Math.max(peak, FmaPeak.gflops());
        out.printf("fp32 FMA peak (measured, best of before/after): %.1f GFLOP/s%n", peak);
        line(out, "batched", batched, a, peak);
        if (baseline != null) {
            line(out, "before", baseline, a, peak);
            out.printf("speed-up %.2fx; the two agree within %.2g nats (rounding)%n",
                    batched.bytesPerSecond() / baseline.bytesPerSecond(), maxDiff);
        }
        out.flush();
    }

    private record Timed(List<byte[]> docs, double seconds, float[] h) {
        double bytesPerSecond() { return Corpus.totalBytes(docs) / seconds; }
    }

    private static Timed time(List<byte[]> docs, java.util.function.Function<int[], float[]> pass) {
        int[] ids = TokenStream.encode(docs);
        long t0 = System.nanoTime();
        float[] h = pass.apply(ids);
        return new Timed(docs, (System.nanoTime() - t0) * 1e-9, h);
    }

    private static void line(PrintStream out, String name, Timed t, LmArgs a, double peak) {
        double gflops = flops(a, t.docs()) / t.seconds() / 1e9;
        out.printf("%-8s %6.2f MB in %6.2f s: %6.3f MB/s  %8.2f GFLOP/s  %5.1f%% of peak%n", name,
                Corpus.totalBytes(t.docs()) / 1e6, t.seconds(), t.bytesPerSecond() / 1e6, gflops, 100 * gflops / peak);
    }

    /** Model FLOPs of the documents, each a pass of its BOS, bytes and EOS. */
    public static double flops(LmArgs a, List<byte[]> docs) {
        double f = 0;
        for (byte[] d : docs) f += Flops.entropyForwardOfDocument(a, d.length + 2L);
        return f;
    }

    /** The first documents, up to about bytes of them (at least one). */
    public static List<byte[]> prefix(List<byte[]> docs, long bytes) {
        List<byte[]> out = new ArrayList<>();
        long n = 0;
        for (byte[] d : docs) {
            if (n >= bytes && !out.isEmpty()) break;
            out.add(d);
            n += d.length;
        }
        return out;
    }

    /** Random weights with configs/entropy-sotu.yaml's args (seed 1). */
    public static EntropyModel random() {
        LmArgs la = GenerateBench.bind(GenerateBench.modelArgs("entropy-sotu.yaml"), LmArgs.class);
        ParamStore ps = ParamStore.allocate(EntropyModel.specs(la));
        Init.init(ps, 1, false);
        return new EntropyModel(la, ps);
    }
}
