package org.blt4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.blt4j.bench.GemmBench;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j bench: speed measurements (never part of the tests). */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: gemm, int8, train, generate, serve, entropy, batch, int8-accuracy.",
        subcommands = {BenchCommand.Gemm.class, BenchCommand.Int8.class, BenchCommand.Train.class, BenchCommand.Generate.class, BenchCommand.Serve.class,
                BenchCommand.Entropy.class, BenchCommand.Batch.class, BenchCommand.Int8Accuracy.class})
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

    @Command(name = "int8", mixinStandardHelpOptions = true,
            description = "int8 against bf16 weight products at the blt-1b shapes, weights mapped from files: GB/s of weight bytes, "
                    + "the speed-up over bf16 and the share of the memory bandwidth measured in the same run, for M = 1 (decode) and small M.")
    static final class Int8 implements Callable<Integer> {
        @Option(names = "--seconds", defaultValue = "0.3", description = "seconds per timing (default: ${DEFAULT-VALUE})")
        double seconds;

        @Option(names = "--m", split = ",", defaultValue = "1,2,4,8,16", description = "x rows per product (default: ${DEFAULT-VALUE})")
        List<Integer> ms;

        @Option(names = "--mib", defaultValue = "192", description = "MiB of bf16 weights per shape, as a stack of layers (default: ${DEFAULT-VALUE})")
        int mib;

        @Option(names = "--no-bandwidth", description = "skip the memory bandwidth measurement (it sums a 1 GiB array)")
        boolean noBandwidth;

        @Option(names = "--tmp", paramLabel = "DIR", description = "where the weight files are written (default: the system temp folder)")
        Path tmp;

        @Override
        public Integer call() {
            for (int m : ms)   // x is M·K floats: 2^31 rows overflowed the array size (a stack trace)
                if (m < 1 || m > 4096) throw new org.blt4j.Blt4jException("--m " + m + ": every M must be in [1, 4096]");
            if (!(seconds > 0) || !Double.isFinite(seconds) || mib < 1)
                throw new org.blt4j.Blt4jException("--seconds must be a finite number > 0 and --mib >= 1, got " + seconds + " and " + mib);
            if (tmp != null && !Files.isDirectory(tmp)) throw new org.blt4j.Blt4jException("--tmp " + tmp + " is not a folder");
            org.blt4j.bench.Int8Bench.run(System.out, new org.blt4j.bench.Int8Bench.Options(seconds, ms, mib, !noBandwidth, tmp));
            return 0;
        }
    }

    @Command(name = "entropy", mixinStandardHelpOptions = true,
            description = "The entropy pass (patching a corpus): corpus MB/s, forward FLOPs per byte, GFLOP/s and share of "
                    + "the fp32 FMA peak measured in the same run, against the pass before batching on a slice.")
    static final class Entropy implements Callable<Integer> {
        @Option(names = "--data", paramLabel = "FILE", defaultValue = "data/sotu.txt.gz", description = "corpus (default: ${DEFAULT-VALUE})")
        Path data;

        @Option(names = "--mb", defaultValue = "4", description = "megabytes of it (default: ${DEFAULT-VALUE})")
        double mb;

        @Option(names = "--model", paramLabel = "DIR", description = "an entropy model (default: random weights, configs/entropy-sotu.yaml's args)")
        Path model;

        @Option(names = "--baseline-mb", defaultValue = "0.5", description = "megabytes for the pass before batching; 0: skip (default: ${DEFAULT-VALUE})")
        double baselineMb;

        @Override
        public Integer call() {
            org.blt4j.bench.EntropyBench.run(System.out, new org.blt4j.bench.EntropyBench.Options(data, mb, model, baselineMb));
            return 0;
        }
    }

    @Command(name = "int8-accuracy", mixinStandardHelpOptions = true,
            description = "int8 against fp32 (docs/int8.md): bits per byte of a BLT and its entropy model and of their int8 "
                    + "copies on the held-out split, and how often the int8 entropy model puts patch boundaries where fp32 does.")
    static final class Int8Accuracy implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "DIR", description = "the fp32/bf16 BLT (or its run folder)")
        Path model;

        @Option(names = "--entropy-model", required = true, paramLabel = "DIR", description = "its fp32/bf16 entropy model")
        Path entropyModel;

        @Option(names = "--int8-model", paramLabel = "DIR", description = "the BLT's int8 copy (default: quantized here into a temporary folder)")
        Path int8Model;

        @Option(names = "--int8-entropy-model", paramLabel = "DIR", description = "the entropy model's int8 copy")
        Path int8EntropyModel;

        @Option(names = "--data", paramLabel = "FILE", defaultValue = "data/sotu.txt.gz", description = "corpus (default: ${DEFAULT-VALUE})")
        Path data;

        @Option(names = "--heldout-fraction", defaultValue = "0.1", description = "its last fraction is scored (default: ${DEFAULT-VALUE})")
        double heldOutFraction;

        @Option(names = "--max-bytes", defaultValue = "200000", description = "score the first N held-out bytes (default: ${DEFAULT-VALUE})")
        long maxBytes;

        @Option(names = "--seq-len", defaultValue = "1024", description = "bytes per scored row, as in eval (default: ${DEFAULT-VALUE})")
        int seqLen;

        @Option(names = "--block", defaultValue = "64", description = "int8 block when quantizing here (default: ${DEFAULT-VALUE})")
        int block;

        @Override
        public Integer call() throws Exception {
            if (maxBytes < 1 || seqLen < 2 || block < 1) throw new org.blt4j.Blt4jException("--max-bytes, --block must be >= 1 and --seq-len >= 2");
            if (!(heldOutFraction > 0 && heldOutFraction < 1))
                throw new org.blt4j.Blt4jException("--heldout-fraction must be in (0, 1), got " + heldOutFraction);
            // the models' kinds before anything is quantized
            if (!org.blt4j.model.ModelLoader.isBlt(org.blt4j.io.ModelDirs.resolveModel(model)))
                throw new org.blt4j.Blt4jException("--model " + model + " holds an entropy model, not a BLT (swapped with --entropy-model?)");
            if (org.blt4j.model.ModelLoader.isBlt(org.blt4j.io.ModelDirs.resolveModel(entropyModel)))
                throw new org.blt4j.Blt4jException("--entropy-model " + entropyModel + " holds a BLT, not an entropy model (swapped with --model?)");
            if (!Files.isRegularFile(data)) throw new org.blt4j.Blt4jException("--data " + data + " is not a readable file");
            org.blt4j.bench.Int8AccuracyBench.run(System.out, new org.blt4j.bench.Int8AccuracyBench.Options(
                    org.blt4j.io.ModelDirs.resolveModel(model), org.blt4j.io.ModelDirs.resolveModel(entropyModel),
                    int8Model == null ? null : org.blt4j.io.ModelDirs.resolveModel(int8Model),
                    int8EntropyModel == null ? null : org.blt4j.io.ModelDirs.resolveModel(int8EntropyModel),
                    data, heldOutFraction, maxBytes, seqLen, block));
            return 0;
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
            if (tmp != null && !Files.isDirectory(tmp)) throw new org.blt4j.Blt4jException("--tmp " + tmp + " is not a folder");
            Path text = Bundled.corpusOr(corpus);
            org.blt4j.bench.GenerateBench.run(System.out, new org.blt4j.bench.GenerateBench.Options(
                    text, blt, entropy, full, big || bigOnly, hashVocab, tmp, !bigOnly, reuse));
            return 0;
        }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Training throughput (bytes/s) at the demo configs (entropy model, BLT) or the study's larger size "
                    + "(token LM, BLT), the share of time in GEMM, and model FLOPs utilization (training FLOPs/s against the "
                    + "fp32 FMA peak measured in the same run).")
    static final class Train implements Callable<Integer> {
        @Option(names = "--steps", defaultValue = "20", description = "timed steps per model (default: ${DEFAULT-VALUE})")
        int steps;

        @Option(names = "--warmup", defaultValue = "8", description = "untimed warm-up steps (default: ${DEFAULT-VALUE})")
        int warmup;

        @Option(names = "--size", defaultValue = "demo", paramLabel = "demo|study-large|both",
                description = "which model sizes (default: ${DEFAULT-VALUE})")
        String size;

        @Override
        public Integer call() throws Exception {
            if (!List.of("demo", "study-large", "both").contains(size))
                throw new org.blt4j.Blt4jException("--size must be demo, study-large or both, got " + size);
            if (steps < 1 || warmup < 0) throw new org.blt4j.Blt4jException("--steps must be >= 1 and --warmup >= 0");
            new TrainBench(steps, warmup, System.out).run(!size.equals("study-large"), !size.equals("demo"));
            return 0;
        }
    }

    @Command(name = "batch", mixinStandardHelpOptions = true,
            description = {"Continuous batching: the bf16 product per M = 1..16 (GB/s of weights against the read bandwidth"
                    + " measured in the same run), and with --model DIR (blt/ and entropy/ inside, e.g. bench generate's --reuse"
                    + " folder; any weight format the loader reads) total bytes/s of 1, 2, 4 and 8 concurrent greedy"
                    + " generations through the batch scheduler, and the ratio to one."})
    static final class Batch implements Callable<Integer> {
        @Option(names = "--model", paramLabel = "DIR", description = "a folder with blt/ and entropy/ (weights mapped)")
        Path model;

        @Option(names = "--no-kernel", description = "skip the bf16 product per M")
        boolean noKernel;

        @Option(names = "--warmup", defaultValue = "30", description = "seconds of untimed decoding first (default: ${DEFAULT-VALUE})")
        double warmup;

        @Option(names = "--bytes", defaultValue = "32", description = "bytes per generation per round (default: ${DEFAULT-VALUE})")
        int bytes;

        @Option(names = "--rounds", defaultValue = "3", description = "rounds per batch size (default: ${DEFAULT-VALUE})")
        int rounds;

        @Option(names = "--corpus", paramLabel = "FILE", description = "text for the prompts (default: the bundled corpus)")
        Path corpus;

        @Override
        public Integer call() throws Exception {
            if (bytes < 4 || rounds < 1 || !(warmup >= 0) || !Double.isFinite(warmup))
                throw new org.blt4j.Blt4jException("--bytes must be >= 4, --rounds >= 1, --warmup a finite number >= 0");
            if (model != null && !(Files.isDirectory(model.resolve("blt")) && Files.isDirectory(model.resolve("entropy"))))
                throw new org.blt4j.Blt4jException("--model " + model + " must hold the folders blt/ and entropy/ (as bench generate"
                        + " --1b --reuse DIR writes them)");
            Path text = Bundled.corpusOr(corpus);
            org.blt4j.bench.BatchBench.run(System.out, new org.blt4j.bench.BatchBench.Options(model, !noKernel, warmup, bytes,
                    rounds, text));
            return 0;
        }
    }

    @Command(name = "serve", mixinStandardHelpOptions = true,
            description = {"Load test of the HTTP server: starts it here on a free port and lets many clients send a mix of"
                    + " good and bad requests; prints answers by status and the heap used.",
                    "Exit code 1 when a good request got anything but 200/429/503, a bad one anything but a 4xx, or a request"
                    + " got no answer."})
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
            if (clients < 1 || !(seconds > 0) || !(seconds <= 86400))   // 1e308 s overflowed a Duration (a stack trace)
                throw new org.blt4j.Blt4jException("--clients must be >= 1 and --seconds a number in (0, 86400], got " + clients + " and " + seconds);
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
