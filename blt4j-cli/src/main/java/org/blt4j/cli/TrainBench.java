package org.blt4j.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.bench.Mfu;
import org.blt4j.eval.Flops;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.run.TrainState;
import org.blt4j.tensor.GemmTimer;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Training;

/**
 * bench train: bytes/s, share of time in GEMM and model FLOPs utilization ({@link Mfu}) of training steps (forward,
 * backward, no optimizer) on the bundled corpus, at the demo configs (entropy model, BLT) and at the study's larger
 * size (token LM over a BPE of 4,096 tokens trained on the corpus, BLT). Every BLT is patched by the demo's entropy
 * model, untrained, with the threshold that gives about 4.5 bytes per patch.
 */
final class TrainBench {
    /**
     * The study's larger BLT as studies/sotu.yaml's plan has it (its reference arm, blt-entropy-4.5): global 256 × 4
     * layers, local 128, 384 bytes and at most 78 patches per row (floor(0.92 · 384 / 4.5)).
     */
    static final List<String> LARGE_BLT = List.of(
            "model.args.dim_global=256", "model.args.n_layers_global=4", "model.args.n_heads_global=8",
            "model.args.dim_local_encoder=128", "model.args.dim_local_decoder=128",
            "model.args.n_heads_local_encoder=4", "model.args.n_heads_local_decoder=4",
            "model.args.n_layers_local_encoder=1", "model.args.n_layers_local_decoder=2",
            "model.args.cross_attn_k=2", "model.args.cross_attn_nheads=4", "model.args.cross_attn_all_layers_decoder=true",
            "model.args.encoder_hash_byte_group_size=[3, 4, 5, 6]", "model.args.encoder_hash_byte_group_vocab=8192",
            "model.args.local_attention_window_len=384", "model.args.max_seqlen=384", "model.args.patch_size=4.5",
            "data.seq_len=384", "data.batch_size=8", "data.max_patches=78");

    /**
     * The study's larger token LM as studies/sotu.yaml's plan sizes it (its bpe arm, matched to the BLT's FLOPs per
     * byte): dim 344, 4 layers, 4 heads of 86, 88 tokens of context (384 bytes at 4.39 bytes/token), BPE 4,096 (+ 4).
     */
    static final List<String> LARGE_TOKEN = List.of(
            "model.tokenizer={train: 4096}", "model.args.dim=344", "model.args.n_layers=4", "model.args.n_heads=4",
            "model.args.multiple_of=32", "model.args.sliding_window=88", "model.args.max_seqlen=88",
            "data.seq_len=88", "data.batch_size=8");

    private final int steps, warmup;
    private final PrintStream out;

    TrainBench(int steps, int warmup, PrintStream out) {
        this.steps = steps;
        this.warmup = warmup;
        this.out = out;
    }

    void run(boolean demo, boolean large) throws Exception {
        Path dir = org.blt4j.bench.TempDirs.create(null, "blt4j-bench");
        try {
            run(dir, demo, large);
        } finally {
            org.blt4j.bench.TempDirs.delete(dir);   // it was left behind before
        }
    }

    private void run(Path dir, boolean demo, boolean large) throws Exception {
        Path data = dir.resolve(Bundled.CORPUS);
        Bundled.copyCorpus(data);
        out.printf("%d threads; %d warm-up + %d timed steps per model; bundled corpus%n", Parallel.poolSize(), warmup, steps);
        double peak = Mfu.measurePeak();
        out.printf("fp32 FMA peak (measured now, %d threads): %.1f GFLOP/s; again around each model (peak before/after)%n",
                Parallel.poolSize(), peak);
        TrainConfig e = config("entropy-demo.yaml", data, dir.resolve("entropy"), List.of());
        Training.Streams s = Training.streams(e);
        TrainTask et = Training.entropyTask(e, s);
        // the BLTs are patched by this entropy model, untrained, saved, with the threshold that gives ~4.5 bytes/patch
        new TrainCheckpoint(dir.resolve("entropy"), 1).save(TrainState.start(e.toTree()), et.args(), et.params(), null, null);
        List<String> mfu = new ArrayList<>();
        if (demo) {
            out.println("-- demo configs");
            Timed te = measure("entropy model", et, e);
            int ce = e.data().seqLen();
            double fe = Flops.TRAINING_FACTOR * Flops.entropyModelPerByte((LmArgs) et.args(), ce);
            mfu.add(new Mfu(fe, te.bytesPerSecond(), te.peak()).line("entropy model", ce) + "  (demo; byte-level LM)");
            mfu.add(blt("BLT", config("blt-demo.yaml", data, dir.resolve("blt"), bltSet(dir, List.of())), s, "demo"));
        }
        if (large) {
            out.println("-- the study's larger size");
            TrainConfig t = config("token-sotu.yaml", data, dir.resolve("token"), LARGE_TOKEN);
            TrainTask tt = Training.tokenTask(t, Training.split(t));
            Timed tm = measure("token LM", tt, t);
            int ct = t.data().seqLen();
            double ft = Flops.tokenLm((LmArgs) tt.args(), ct, tm.bytesPerTarget()).trainingPerByte();
            mfu.add(new Mfu(ft, tm.bytesPerSecond(), tm.peak()).line("token LM", ct)
                    + String.format("  (study-large; ctx in tokens, %.2f bytes/token, trained BPE)", tm.bytesPerTarget()));
            mfu.add(blt("BLT", config("blt-demo.yaml", data, dir.resolve("blt-large"), bltSet(dir, LARGE_BLT)), s, "study-large"));
        }
        out.println();
        out.println("model FLOPs utilization: training FLOPs (3 × forward, docs/flops.md) × bytes/s ÷ the FMA peak measured"
                + " right before and after that model's steps (mean)");
        mfu.forEach(out::println);
    }

    private static List<String> bltSet(Path dir, List<String> size) {
        List<String> o = new ArrayList<>(size);
        o.add("data.entropy_model=" + dir.resolve("entropy"));
        o.add("model.args.patching_threshold=auto");
        return o;
    }

    /** Measures a BLT config; returns its MFU line. */
    private String blt(String name, TrainConfig b, Training.Streams s, String size) {
        TrainTask bt = Training.bltTask(b, s, m -> {});
        Timed tb = measure(name, bt, b);
        // BLT rows hold a fixed number of patches, cut at seq_len bytes: the context is their mean length
        int cb = (int) Math.max(1, Math.min(b.data().seqLen(), Math.round(tb.bytesPerRow())));
        double fb = Flops.bltPerByte((BltArgs) bt.args(), cb, tb.bytesPerPatch()).total() * Flops.TRAINING_FACTOR;
        return new Mfu(fb, tb.bytesPerSecond(), tb.peak()).line(name, cb)
                + String.format("  (%s; %.2f bytes/patch; entropy model's patching not counted)", size, tb.bytesPerPatch());
    }

    /**
     * What measure saw: bytes/s, mean bytes per row, per patch (NaN: no patches) and per target, and the FMA peak
     * measured right before and after the timed steps (their mean: on a shared machine the peak moves with the load).
     */
    private record Timed(double bytesPerSecond, double bytesPerRow, double bytesPerPatch, double bytesPerTarget, double peak) {}

    private Timed measure(String name, TrainTask task, TrainConfig cfg) {
        float[] grad = new float[task.params().data().length];
        for (int i = 0; i < warmup; i++) {
            Arrays.fill(grad, 0f);
            task.step(grad);
        }
        double peakBefore = Mfu.measurePeak();
        GemmTimer.enable(true);
        GemmTimer.reset();
        long bytes = 0, targets = 0;
        double patch = 0;
        long cpu0 = processCpuNanos(), t0 = System.nanoTime();
        for (int i = 0; i < steps; i++) {
            Arrays.fill(grad, 0f);
            TrainTask.Step st = task.step(grad);
            bytes += st.bytes();
            targets += st.targets();
            patch += st.avgPatchLength();
        }
        double secs = (System.nanoTime() - t0) / 1e9, cpuShare = (processCpuNanos() - cpu0) / 1e9 / (secs * Parallel.poolSize());
        GemmTimer.enable(false);
        double peakAfter = Mfu.measurePeak();
        // GEMM time is counted on the calling thread: every model calls from one thread (GEMMs parallel inside)
        double gemmShare = GemmTimer.seconds() / secs;
        // on a shared machine the other jobs' load shows as CPU this process did not get (spinning kernel threads count)
        out.printf("%-14s %,10d params  %,9.0f bytes/s  %6.1f ms/step  GEMM %4.1f%% of the time%s  peak %.0f/%.0f"
                        + "  load %.1f, CPU %.0f%% of %d cores%n",
                name, task.params().size(), bytes / secs, 1000 * secs / steps, 100 * gemmShare,
                Double.isNaN(patch) ? "" : String.format("  (%.2f bytes/patch)", patch / steps), peakBefore, peakAfter,
                java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(), 100 * cpuShare,
                Parallel.poolSize());
        return new Timed(bytes / secs, bytes / ((double) steps * cfg.data().batchSize()), patch / steps,
                bytes / (double) Math.max(1, targets), (peakBefore + peakAfter) / 2);
    }

    private static long processCpuNanos() {
        return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : 0;
    }

    private static TrainConfig config(String name, Path data, Path out, List<String> set) throws Exception {
        List<String> o = new ArrayList<>(List.of("data.path=" + data, "train.out=" + out));
        o.addAll(set);
        return Bundled.config(name, o);
    }
}
