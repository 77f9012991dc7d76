package org.blt4j.spark;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j spark bench: the entropy pass on Spark against one process, and DiLoCo against single-process training. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks (never tests): the patch job's entropy pass in local mode against the single process (MB/s, share of"
                + " the fp32 peak), and DiLoCo on Spark against single-process training on the same total bytes (held-out bpb,"
                + " bytes per round).")
final class SparkBenchCommand implements Callable<Integer> {
    @Option(names = "--data", defaultValue = "data/sotu.txt.gz", description = "corpus for the entropy pass (default: ${DEFAULT-VALUE})")
    Path data;

    @Option(names = "--mb", defaultValue = "0", description = "megabytes of it (0: all; default: ${DEFAULT-VALUE})")
    double mb;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model (default: random weights, configs/entropy-sotu.yaml's args)")
    Path entropyModel;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*])")
    String master;

    @Option(names = "--only", paramLabel = "entropy|diloco", description = "run one part only")
    String only;

    @Option(names = "--diloco-config", defaultValue = "configs/entropy-demo.yaml", description = "training config for DiLoCo (default: ${DEFAULT-VALUE})")
    Path dilocoConfig;

    @Option(names = "--steps", defaultValue = "600", description = "inner steps per worker = single-process steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--workers", defaultValue = "2", description = "DiLoCo workers (default: ${DEFAULT-VALUE})")
    int workers;

    @Option(names = "--inner-steps", defaultValue = "5", description = "H (default: ${DEFAULT-VALUE}: the largest H within 3%% of single-process training in the sweep of docs/spark.md)")
    int innerSteps;

    @Option(names = "--outer-lr", defaultValue = "0.7", description = "(default: ${DEFAULT-VALUE})")
    double outerLr;

    @Option(names = "--outer-momentum", defaultValue = "0.9", description = "(default: ${DEFAULT-VALUE})")
    double outerMomentum;

    @Option(names = "--work", paramLabel = "DIR", description = "where runs and datasets go (default: a temporary folder, deleted)")
    Path work;

    @Override
    public Integer call() throws Exception {
        if (only != null && !only.equals("entropy") && !only.equals("diloco")) throw new Blt4jException("--only takes entropy or diloco, got " + only);
        if (!(mb >= 0)) throw new Blt4jException("--mb must be >= 0");
        if (steps < 1) throw new Blt4jException("--steps must be >= 1");
        if (!Files.isRegularFile(data)) throw new Blt4jException("--data " + data + " is not a readable file");
        Path dir = work != null ? work : Files.createTempDirectory("blt4j-spark-bench");
        try {
            SparkBench.run(new SparkBench.Options(data, mb, entropyModel, master, only == null || only.equals("entropy"),
                    only == null || only.equals("diloco"), dilocoConfig, steps, workers, innerSteps, outerLr, outerMomentum, dir), System.out);
        } finally {
            if (work == null) org.blt4j.io.AtomicFiles.deleteQuietly(dir);
        }
        return 0;
    }
}
