package org.blt4j.spark;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.blt4j.bench.EntropyBench;
import org.blt4j.data.Corpus;
import org.blt4j.data.PatchedData;
import org.blt4j.data.TokenStream;
import org.blt4j.io.Json;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.PatchingMode;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.run.TrainState;
import org.blt4j.tensor.FmaPeak;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.Trainer;
import org.blt4j.train.diloco.DiLoCo;
import org.blt4j.train.diloco.DiLoCoArgs;
import org.blt4j.train.diloco.RunStore;
import org.blt4j.train.diloco.ShardTasks;

/**
 * The Spark bench (a command, never a test):
 * <ol>
 *   <li>the entropy pass: the patch job in local mode against the single-process path (the entropy cache's
 *       computation) on the same documents, in the same run: corpus MB/s, GFLOP/s and the share of the fp32 FMA peak
 *       measured here; the two must give the same entropies bit for bit;
 *   <li>DiLoCo with N workers as Spark tasks against single-process training on the same total bytes (batch N·B for
 *       S steps: the data-parallel equivalent): held-out bits per byte, and the bytes each round sends.
 * </ol>
 */
public final class SparkBench {
    private SparkBench() {}

    public record Options(Path data, double mb, Path entropyModel, String master, boolean entropy, boolean diloco,
                          Path dilocoConfig, int steps, int workers, int innerSteps, double outerLr, double outerMomentum, Path work) {}

    public static void run(Options o, PrintStream out) throws IOException {
        Files.createDirectories(o.work());
        SparkSession spark = null;
        try {
            long t0 = System.nanoTime();
            spark = Sessions.open("blt4j bench", o.master(), Map.of());
            out.printf("spark: master %s, %d task slots, session started in %.1f s; %d kernel threads per JVM%n",
                    spark.sparkContext().master(), spark.sparkContext().defaultParallelism(), (System.nanoTime() - t0) / 1e9, Parallel.poolSize());
            if (o.entropy()) entropyPass(spark, o, out);
            if (o.diloco()) diloco(spark, o, out);
        } finally {
            if (spark != null) spark.stop();
        }
    }

    static void entropyPass(SparkSession spark, Options o, PrintStream out) throws IOException {
        Path modelDir = o.entropyModel();
        if (modelDir == null) {   // random weights with entropy-sotu's args, written where the job can read them
            EntropyModel r = EntropyBench.random();
            modelDir = o.work().resolve("entropy-model");
            new TrainCheckpoint(modelDir, 1).save(TrainState.start(Json.MAPPER.createObjectNode()), r.args(), r.params(),
                    new float[r.params().data().length], new float[r.params().data().length]);
        }
        EntropyModel model = ModelLoader.entropyModel(ModelDirs.resolveModel(modelDir));
        LmArgs a = model.args();
        List<byte[]> docs = Corpus.read(o.data());
        Path corpus = o.data();
        if (o.mb() > 0) {
            docs = EntropyBench.prefix(docs, (long) (o.mb() * 1e6));
            corpus = o.work().resolve("corpus.txt");
            try (OutputStream s = Files.newOutputStream(corpus)) {
                for (byte[] d : docs) {
                    s.write(d);
                    s.write(new byte[] {'\n', '\n'});
                }
            }
        }
        long bytes = Corpus.totalBytes(docs);
        double flops = EntropyBench.flops(a, docs);
        out.printf("%nentropy pass: %s (dim %d, %d layers, window %d), %s: %,d documents, %.2f MB, %,.0f forward FLOPs per byte%n",
                o.entropyModel() != null ? o.entropyModel() : "random entropy-sotu model", a.dim(), a.nLayers(), a.window(),
                o.data(), docs.size(), bytes / 1e6, flops / bytes);
        double peak = FmaPeak.gflops();
        ChunkedEntropies.Chunking chunking = ChunkedEntropies.Chunking.exact(a, Parallel.poolSize());
        ChunkedEntropies.compute(model, TokenStream.encode(EntropyBench.prefix(docs, 200_000)), chunking, ChunkedEntropies.Progress.NONE);
        int[] ids = TokenStream.encode(docs);
        long t0 = System.nanoTime();
        float[] single = ChunkedEntropies.compute(model, ids, chunking, ChunkedEntropies.Progress.NONE);
        double singleS = (System.nanoTime() - t0) / 1e9;

        Path ds = o.work().resolve("bench-" + System.nanoTime() + ".parquet");
        PatchJob.Options po = new PatchJob.Options(List.of(corpus.toString()), ds.toString(), modelDir.toString(),
                new PatcherArgs(PatchingMode.ENTROPY, PatcherArgs.RELEASED_THRESHOLD, null, false, null, 4.5), false, 1, 0, false, -1);
        t0 = System.nanoTime();
        PatchJob.Summary s = PatchJob.run(spark, po, new PrintStream(new ByteArrayOutputStream()));
        double sparkS = (System.nanoTime() - t0) / 1e9;
        peak = Math.max(peak, FmaPeak.gflops());

        PatchedData back = ParquetDatasetReader.read(spark, ds.toUri().toString(), ds.toString());
        int at = 0;
        long differ = 0;
        for (float[] h : back.entropies()) {
            for (float v : h) if (Float.floatToIntBits(v) != Float.floatToIntBits(single[at++])) differ++;
        }
        out.printf("fp32 FMA peak (measured in this run, best of two): %.1f GFLOP/s%n", peak);
        line(out, "single process (entropy cache path)", bytes, singleS, flops, peak);
        line(out, "Spark patch job, " + spark.sparkContext().master(), bytes, sparkS, flops, peak);
        out.printf("  Spark / single process: %.2fx; %,d documents written; entropies %s%n", singleS / sparkS, s.documents(),
                differ == 0 ? "bit-identical to the single process" : differ + " values DIFFER from the single process");
    }

    static void line(PrintStream out, String what, long bytes, double s, double flops, double peak) {
        double g = flops / s / 1e9;
        out.printf("  %-40s %7.2f s  %7.3f MB/s  %7.1f GFLOP/s  %5.1f%% of peak%n", what, s, bytes / 1e6 / s, g, 100 * g / peak);
    }

    static void diloco(SparkSession spark, Options o, PrintStream out) {
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        TrainConfig base = TrainConfig.load(o.dilocoConfig(), List.of("train.steps=" + o.steps()));
        int b = base.data().batchSize();
        out.printf("%nDiLoCo: %s, %d workers x %d inner steps (batch %d), H %d, outer lr %s, momentum %s%n", o.dilocoConfig(), o.workers(),
                o.steps(), b, o.innerSteps(), o.outerLr(), o.outerMomentum());
        Path plainRun = o.work().resolve("plain-" + System.nanoTime());
        TrainConfig plain = TrainConfig.load(o.dilocoConfig(), List.of("train.steps=" + o.steps(), "data.batch_size=" + (o.workers() * b),
                "train.out=" + plainRun));
        long t0 = System.nanoTime();
        Trainer.Result p = new Trainer(ShardTasks.build(plain, 0, 1, m -> {}), plain, plainRun, quiet).run(null);
        double plainS = (System.nanoTime() - t0) / 1e9;

        out.printf("  %-56s held-out %.4f bpb  %6.1f s%n", "single process, batch " + o.workers() * b + ", " + o.steps() + " steps", p.heldOutBpb(), plainS);
        // the given outer optimizer (default: the paper's Nesterov lr 0.7, momentum 0.9), then plain averaging (lr 1, momentum 0)
        List<double[]> outers = new java.util.ArrayList<>(List.of(new double[] {o.outerLr(), o.outerMomentum()}));
        if (o.outerLr() != 1.0 || o.outerMomentum() != 0.0) outers.add(new double[] {1.0, 0.0});
        long perRound = 0;
        for (double[] outer : outers) {
            Path dlRun = o.work().resolve("diloco-" + System.nanoTime());
            TrainConfig dl = TrainConfig.load(o.dilocoConfig(), List.of("train.steps=" + o.steps(), "train.out=" + dlRun));
            DiLoCoArgs args = new DiLoCoArgs(o.workers(), o.innerSteps(), outer[0], outer[1]);
            RunStore store = HadoopRunStore.of(dlRun.toString());
            t0 = System.nanoTime();
            DiLoCo.Result d = new DiLoCo(dl, args, store, dlRun, quiet).run(new SparkRoundRunner(JavaSparkContext.fromSparkContext(spark.sparkContext()),
                    dl.toTree(), args, store, -1, -1), false, Long.MAX_VALUE);
            double dlS = (System.nanoTime() - t0) / 1e9;
            out.printf("  %-56s held-out %.4f bpb  %6.1f s  (%+.1f%%)%n", String.format("DiLoCo on Spark, outer lr %s momentum %s, %d rounds",
                    outer[0], outer[1], d.rounds()), d.heldOutBpb(), dlS, 100 * (d.heldOutBpb() / p.heldOutBpb() - 1));
            perRound = d.bytesSentPerRound();
        }
        long params = perRound / 4 / (o.workers() + 1);
        out.printf("  over the wire per round: %,d bytes (θ broadcast %,d + %d deltas of %,d, fp32); a synchronous data-parallel run would send"
                + " %,d bytes of gradients per step, %,d per %d steps%n", perRound, 4 * params, o.workers(), 4 * params,
                2L * o.workers() * 4 * params, 2L * o.workers() * 4 * params * o.innerSteps(), o.innerSteps());
    }
}
