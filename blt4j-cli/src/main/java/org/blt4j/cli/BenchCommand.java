package org.blt4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.blt4j.bench.GemmBench;
import org.blt4j.bench.Mfu;
import org.blt4j.eval.Flops;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.blt4j.tensor.GemmTimer;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j bench: speed measurements (never part of the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: gemm, train, generate, serve.",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Train.class, BenchCommand.Generate.class, BenchCommand.Serve.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "gemm", mixinStandardHelpOptions = true,
            description = "fp32 GEMM GFLOP/s at the models' shapes on 1 and all threads, against the FMA peak measured here.")
    static final class Gemm implements Runnable {
        @Override
        public void run() {
            GemmBench.run(System.out);
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Generation bytes/s, cached vs uncached, at the demo size (512-byte prompt, 256 bytes); "
                    + "with --1b also a blt-1b-shaped model with mapped bf16 weights against the memory bandwidth.")
    static final class Generate implements Callable<Integer> {
        @Option(names = "--corpus", paramLabel = "FILE", description = "text for the prompts (default: the bundled corpus)")
        Path corpus;

        @Option(names = "--blt", paramLabel = "DIR", description = "a trained BLT checkpoint instead of random weights")
        Path blt;

        @Option(names = "--entropy", paramLabel = "DIR", description = "its entropy model (default: the folder 'entropy' next to it)")
        Path entropy;

        @Option(names = "--nocache-full", description = "time every uncached step instead of 16 spread over the generation")
        boolean full;

        @Option(names = "--1b", description = "also the blt-1b-shaped model (writes ~9 GB of random bf16 weights to a temporary folder)")
        boolean big;

        @Option(names = "--1b-only", description = "only the blt-1b-shaped model")
        boolean bigOnly;

        @Option(names = "--hash-vocab", description = "hash table rows of the blt-1b-shaped model (default: 500002, as released)")
        Integer hashVocab;

        @Option(names = "--tmp", paramLabel = "DIR", description = "where the blt-1b-shaped checkpoint is written (default: the system temp folder)")
        Path tmp;

        @Option(names = "--reuse", paramLabel = "DIR", description = "keep the blt-1b-shaped checkpoint in DIR (written once, reused by later runs)")
        Path reuse;

        @Override
        public Integer call() throws Exception {
            Path text = corpus;
            if (text == null) {
                text = Files.createTempFile("blt4j-corpus", ".txt.gz");
                text.toFile().deleteOnExit();
                Bundled.copyCorpus(text);
            }
            org.blt4j.bench.GenerateBench.run(System.out, new org.blt4j.bench.GenerateBench.Options(
                    text, blt, entropy, full, big || bigOnly, hashVocab, tmp, !bigOnly, reuse));
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Training throughput (bytes/s) of the entropy model and the BLT at the demo configs, the share of time in GEMM, "
                    + "and model FLOPs utilization (training FLOPs/s against the fp32 FMA peak measured in the same run).")
    static final class Train implements Callable<Integer> {
        @Option(names = "--steps", defaultValue = "20", description = "timed steps per model (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--warmup", defaultValue = "8", description = "untimed warm-up steps (default: ${DEFAULT-VALUE})")
        int warmup;

        @Override
        public Integer call() throws Exception {
            Path dir = Files.createTempDirectory("blt4j-bench");
            Path data = dir.resolve(Bundled.CORPUS);
            Bundled.copyCorpus(data);
            System.out.printf("%d threads; %d warm-up + %d timed steps per model; demo configs, bundled corpus%n",
                    Parallel.poolSize(), warmup, steps);
            double peak = Mfu.measurePeak();
            System.out.printf("fp32 FMA peak (measured now, %d threads): %.1f GFLOP/s%n", Parallel.poolSize(), peak);
            TrainConfig e = config("entropy-demo.yaml", data, dir.resolve("entropy"), null);
            Training.Streams s = Training.streams(e);
            TrainTask et = Training.entropyTask(e, s);
            Timed te = measure("entropy model", et, e);
            // the BLT needs an entropy model to patch with: the (untrained) one above, saved, with a fixed threshold
            org.blt4j.run.TrainCheckpoint ck = new org.blt4j.run.TrainCheckpoint(dir.resolve("entropy"), 1);
            ck.save(org.blt4j.run.TrainState.start(e.toTree()), et.args(), et.params(), null, null);
            TrainConfig b = config("blt-demo.yaml", data, dir.resolve("blt"), dir.resolve("entropy").toString());
            TrainTask bt = Training.bltTask(b, s, m -> {});
            Timed tb = measure("BLT", bt, b);
            System.out.println();
            System.out.println("model FLOPs utilization: training FLOPs (3 × forward, docs/flops.md) × bytes/s ÷ the peak above");
            // a token LM cannot be trained yet (no token data path): the entropy model is a byte-level LM, the same
            // block as the token LM, so it stands for it here
            int ce = e.data().seqLen();
            double fe = Flops.TRAINING_FACTOR * Flops.entropyModelPerByte((LmArgs) et.args(), ce);
            System.out.println(new Mfu(fe, te.bytesPerSecond(), peak).line("entropy model", ce)
                    + "  (byte-level LM: the token LM's block)");
            // BLT rows hold a fixed number of patches, cut at seq_len bytes: the context is their mean length
            int cb = (int) Math.max(1, Math.min(b.data().seqLen(), Math.round(tb.bytesPerRow())));
            double fb = Flops.bltPerByte((BltArgs) bt.args(), cb, tb.bytesPerPatch()).total() * Flops.TRAINING_FACTOR;
            System.out.println(new Mfu(fb, tb.bytesPerSecond(), peak).line("BLT", cb)
                    + String.format("  (%.2f bytes/patch; entropy model's patching not counted)", tb.bytesPerPatch()));
            return 0;
        }

        /** What measure saw: bytes trained per second, mean bytes per row, mean bytes per patch (NaN: no patches). */
        private record Timed(double bytesPerSecond, double bytesPerRow, double bytesPerPatch) {}

        private Timed measure(String name, TrainTask task, TrainConfig cfg) {
            float[] grad = new float[task.params().data().length];
            for (int i = 0; i < warmup; i++) {
                Arrays.fill(grad, 0f);
                task.step(grad);
            }
            GemmTimer.enable(true);
            GemmTimer.reset();
            long bytes = 0;
            double patch = 0;
            long t0 = System.nanoTime();
            for (int i = 0; i < steps; i++) {
                Arrays.fill(grad, 0f);
                TrainTask.Step st = task.step(grad);
                bytes += st.bytes();
                patch += st.avgPatchLength();
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            GemmTimer.enable(false);
            // GEMM time is counted per calling thread: the entropy model calls from one thread (GEMMs parallel
            // inside), the BLT from one thread per row group
            int callers = task.kind().equals("blt") ? Parallel.poolSize() : 1;
            double gemmShare = GemmTimer.seconds() / (secs * callers);
            System.out.printf("%-14s %,10d params  %,9.0f bytes/s  %5.1f ms/step  GEMM %4.1f%% of the time%s%n", name,
                    task.params().size(), bytes / secs, 1000 * secs / steps, 100 * gemmShare,
                    Double.isNaN(patch) ? "" : String.format("  (%.2f bytes/patch)", patch / steps));
            return new Timed(bytes / secs, bytes / ((double) steps * cfg.data().batchSize()), patch / steps);
        }

        private static TrainConfig config(String name, Path data, Path out, String entropyModel) throws Exception {
            List<String> o = new java.util.ArrayList<>(List.of("data.path=" + data, "train.out=" + out));
            if (entropyModel != null) {
                o.add("data.entropy_model=" + entropyModel);
                o.add("model.args.patching_threshold=auto");
            }
            return Bundled.config(name, o);
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Load test of the HTTP server: starts it here on a free port and lets many clients send a mix of",
                    "good and bad requests; prints answers by status and the heap used. Exit code 1 when a good request",
                    "got anything but 200/429/503, a bad one anything but a 4xx, or a request got no answer."})
    static final class Serve implements Callable<Integer> {
        @picocli.CommandLine.Mixin
        ModelOptions models;

        @Option(names = "--clients", defaultValue = "50", description = "concurrent clients (default: ${DEFAULT-VALUE})")
        int clients;

        @Option(names = "--seconds", defaultValue = "60", description = "how long (default: ${DEFAULT-VALUE})")
        double seconds;

        @picocli.CommandLine.Mixin
        AdmissionOptions admission;

        @Override
        public Integer call() throws Exception {
            if (clients < 1 || !(seconds > 0)) throw new org.blt4j.Blt4jException("--clients and --seconds must be positive");
            org.blt4j.server.ServerLimits d = org.blt4j.server.ServerLimits.defaults();
            int conc = admission.concurrent(d.maxConcurrent()), queued = admission.queued(d.maxQueued());
            org.blt4j.server.ServerLimits limits = new org.blt4j.server.ServerLimits(d.maxPromptBytes(), d.maxOutputBytes(),
                    d.defaultMaxTokens(), conc, queued, d.queueTimeoutMs(), d.timeLimitMs(), d.maxBodyBytes(),
                    org.blt4j.server.ServerLimits.threadsFor(conc, queued));
            org.blt4j.generate.LoadedModels models = this.models.load();
            java.util.concurrent.atomic.LongAdder logged = new java.util.concurrent.atomic.LongAdder();
            try (org.blt4j.server.BltServer server = org.blt4j.server.BltServer.start(models, limits, "127.0.0.1", 0, true,
                    line -> logged.increment())) {
                System.out.printf("server at %s: %d running + %d queued, max heap %.0f MiB; %d clients for %.0f s%n",
                        server.uri(), conc, queued, Runtime.getRuntime().maxMemory() / 1048576.0, clients, seconds);
                org.blt4j.server.LoadDriver.Report r = org.blt4j.server.LoadDriver.run(server.uri(), limits, clients,
                        java.time.Duration.ofMillis(Math.round(seconds * 1000)));
                System.out.println(r.summary());
                System.out.printf("  log lines: %d%n", logged.sum());
                System.out.println(r.clean() ? "clean: every request got an answer that follows the rules" : "NOT CLEAN");
                return r.clean() ? 0 : 1;
            }
        }
    }
}
