package org.blt4j.spark;

import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.blt4j.Blt4jException;
import org.blt4j.patch.PatcherArgs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** blt4j spark patch: a corpus → a patched Parquet dataset (schema in docs/spark.md). */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = "Patch a corpus (text, .gz, JSON-lines or Parquet files; globs and folders) into a Parquet dataset: "
                + "document id, source, bytes, entropies and patch lengths.")
final class SparkPatchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "INPUT", arity = "1..*", description = "files, folders or globs (any Hadoop file system URI)")
    List<String> inputs;

    @Option(names = "--out", required = true, paramLabel = "DATASET", description = "the Parquet dataset to write (a folder; refused if it exists)")
    String out;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model folder every executor can read (needed for --mode entropy)")
    String entropyModel;

    @Option(names = "--mode", defaultValue = "entropy", description = "entropy, static, space or byte (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--threshold", defaultValue = "auto", paramLabel = "T|auto",
            description = "entropy threshold in nats, or auto: the quantile giving --patch-size bytes per patch on a sample (default: ${DEFAULT-VALUE})")
    String threshold;

    @Option(names = "--patch-size", paramLabel = "P", description = "bytes per patch, >= 1: the target of --threshold auto (default: "
            + PatcherArgs.DEFAULT_PATCH_SIZE + "); the length for --mode static (required there, a whole number)")
    Double patchSize;

    @Option(names = "--max-patch-length", paramLabel = "M", description = "split patches longer than M")
    Integer maxPatchLength;

    @Option(names = "--sample-mb", defaultValue = "8", description = "MB of text whose entropies set the auto threshold (default: ${DEFAULT-VALUE})")
    double sampleMb;

    @Option(names = "--partitions", defaultValue = "0", description = "id ranges the documents are cut into (0: 4 per task slot)")
    int partitions;

    @Option(names = "--overwrite", description = "replace an existing output that is a blt4j patched dataset (the new one is"
            + " written beside it first); anything else at --out, or an --out that is or holds an input, is refused")
    boolean overwrite;

    @picocli.CommandLine.Mixin
    SparkOptions spark;

    @Option(names = "--fail-once", hidden = true, defaultValue = "-1", description = "tests: the first attempt of this partition fails")
    int failOnce;

    @Override
    public Integer call() {
        PatchJob.Options o = options();
        SparkSession session = spark.open("blt4j patch");
        try {
            System.out.println("spark: master " + session.sparkContext().master() + ", " + session.sparkContext().defaultParallelism() + " task slots");
            PatchJob.Summary s = PatchJob.run(session, o, System.out);
            System.out.printf("wrote %s: %,d documents, %,d bytes, %,d patches (%.2f bytes/patch), %.1f s (%.2f MB/s)%n", s.output(),
                    s.documents(), s.bytes(), s.patches(), s.bytes() / (double) Math.max(1, s.patches() - s.documents()), s.seconds(),
                    s.bytes() / 1e6 / s.seconds());
            return 0;
        } catch (RuntimeException e) {
            throw e instanceof Blt4jException b ? b : new Blt4jException(Errors.oneLine(e), e);
        } finally {
            session.stop();
        }
    }

    PatchJob.Options options() {
        if (patchSize != null && !(patchSize >= 1 && patchSize < Double.POSITIVE_INFINITY))   // NaN too
            throw new Blt4jException("--patch-size must be a finite number of bytes >= 1, got " + patchSize);
        // static has no default length (as ./blt4j patch --mode static): 4.5 is the auto threshold's target
        if (mode.equals("static") && patchSize == null)
            throw new Blt4jException("--mode static needs --patch-size N: the whole number of bytes per patch (N >= 1)");
        if (mode.equals("static") && (patchSize != Math.rint(patchSize) || patchSize > Integer.MAX_VALUE))
            throw new Blt4jException("--mode static cuts patches of a whole number of bytes: give --patch-size N, 1 <= N <= "
                    + Integer.MAX_VALUE + ", got " + patchSize);
        double patchSize = this.patchSize != null ? this.patchSize : PatcherArgs.DEFAULT_PATCH_SIZE;
        if (!(sampleMb > 0) || Double.isInfinite(sampleMb)) throw new Blt4jException("--sample-mb must be a positive number, got " + sampleMb);
        boolean auto = threshold.equals("auto");
        Double t = null;
        if (!auto) {
            try {
                t = Double.parseDouble(threshold);
            } catch (NumberFormatException e) {
                throw new Blt4jException("--threshold must be a number of nats or auto, got '" + threshold + "'");
            }
            if (!Double.isFinite(t)) throw new Blt4jException("--threshold must be finite, got " + threshold);
        }
        if (!mode.equals("entropy")) {
            auto = false;
            t = null;
        }
        if (mode.equals("bpe")) throw new Blt4jException("--mode bpe is not supported by the patch job; give entropy, static, space or byte");
        // auto: a placeholder threshold until the sample sets it (top-k is never used)
        PatcherArgs pa = PatcherArgs.of(mode, auto ? Double.valueOf(0) : t, null, false, maxPatchLength, patchSize);
        if (auto) pa = new PatcherArgs(pa.mode(), null, null, false, maxPatchLength, patchSize);
        return new PatchJob.Options(inputs, out, mode.equals("entropy") ? entropyModel : null, pa, auto,
                (long) (sampleMb * 1e6), partitions, overwrite, failOnce);
    }
}
