package org.blt4j.spark;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.Serializable;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.PatchedData;
import org.blt4j.io.Json;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.Training;
import scala.Tuple2;

/**
 * The patch job: input files → documents (split as the trainer splits them) → entropies from the entropy model
 * (loaded once per executor JVM) → patch lengths → a Parquet dataset ({@link PatchedSchema}).
 *
 * <p>Determinism: document ids follow the sorted input URIs and each file's order; documents are range-partitioned by
 * id and sorted within a partition; a document's entropies depend on the document alone (ChunkedEntropies), so a
 * retried task recomputes exactly what it lost. Atomicity: Spark's commit protocol writes into a hidden sibling
 * folder {@code .NAME.tmp-HOST-PID-UUID} ({@link Staging}); only when the job has committed is {@code _blt4j.json}
 * added and the folder renamed to the output. A failed job deletes the temporary folder and leaves no output; a killed
 * driver's folder is removed by the next job writing NAME.
 */
public final class PatchJob {
    private PatchJob() {}

    /**
     * @param patching     mode, threshold (null with autoThreshold), patch size (the auto target, the static length)
     * @param sampleBytes  bytes of text (whole documents, every k-th by id) whose entropies set the auto threshold
     * @param partitions   documents are cut into this many id ranges (0: 4 per task slot)
     * @param failOnce     partition whose first attempt throws after its first document (tests; -1: none)
     */
    public record Options(List<String> inputs, String output, String entropyModel, PatcherArgs patching, boolean autoThreshold,
                          long sampleBytes, int partitions, boolean overwrite, int failOnce) implements Serializable {
        public Options {
            if (entropyModel == null && patching.mode().configName().equals("entropy"))
                throw new Blt4jException("entropy patching needs --entropy-model DIR (or choose --mode static|space|byte)");
            if (sampleBytes < 1) throw new Blt4jException("--sample-mb must be positive");
            if (partitions < 0) throw new Blt4jException("--partitions must be >= 0 (0: 4 per task slot), got " + partitions);
        }
    }

    /** What was written. */
    public record Summary(String output, long documents, long bytes, long patches, Double threshold, double seconds) {}

    /** A document read from an input: the input's URI and the UTF-8 bytes. */
    record Doc(String source, byte[] bytes) implements Serializable {}

    public static Summary run(SparkSession spark, Options o, PrintStream log) {
        long t0 = System.nanoTime();
        JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        Configuration conf = jsc.hadoopConfiguration();
        Path out = new Path(o.output());
        FileSystem fs = fileSystem(out, conf);
        Path tmp = Staging.sibling(out, "tmp");
        try {
            for (String line : Staging.removeStale(fs, out)) log.println(line);   // a killed driver's leftovers
            if (fs.exists(out) && !o.overwrite())
                throw new Blt4jException("output " + out + " exists: give another --out, or --overwrite to replace it");
            List<Inputs.InputFile> files = Inputs.expand(conf, o.inputs());
            checkOutput(fs, out, files);
            log.println("inputs: " + Inputs.describe(files));
            EntropyModel em = o.entropyModel() == null ? null : ExecutorModels.entropyModel(absolute(o.entropyModel(), conf));
            String modelUri = o.entropyModel() == null ? null : absolute(o.entropyModel(), conf);

            JavaRDD<Tuple2<Doc, Long>> numbered = documents(spark, jsc, files).zipWithIndex().rdd().toJavaRDD();
            numbered.persist(StorageLevel.MEMORY_AND_DISK());
            long docs = numbered.count();
            if (docs == 0) throw new Blt4jException("inputs " + o.inputs() + " hold no document (every file is empty or blank)");
            int ranges = o.partitions() > 0 ? o.partitions() : 4 * jsc.defaultParallelism();
            ranges = (int) Math.max(1, Math.min(ranges, docs));
            JavaPairRDD<Long, Doc> byId = numbered.mapToPair(t -> new Tuple2<>(t._2(), t._1()))
                    .repartitionAndSortWithinPartitions(new IdRanges(ranges, docs));

            int failOnce = o.failOnce();
            JavaRDD<Entropied> entropied = byId.mapPartitions(it -> entropies(it, modelUri, failOnce));
            PatcherArgs pa = o.patching();
            Double threshold = pa.threshold();
            ObjectNode meta = meta(o, files, em);
            if (o.autoThreshold()) {
                entropied.persist(StorageLevel.MEMORY_AND_DISK());
                long total = numbered.map(t -> (long) t._1().bytes().length).reduce(Long::sum);
                long stride = Math.max(1, (long) Math.ceil((double) total / o.sampleBytes()));
                List<float[]> sample = entropied.filter(e -> e.id() % stride == 0).map(Entropied::h).collect();
                threshold = Training.autoThreshold(PatchedData.concat(sample), pa.patchSize());
                pa = new PatcherArgs(pa.mode(), threshold, pa.thresholdAdd(), pa.monotonicity(), pa.maxPatchLength(), pa.patchSize());
                ObjectNode p = (ObjectNode) meta.get("patching");
                p.put("threshold", threshold).put("sample_documents", sample.size()).put("sample_stride", stride);
                log.printf("threshold auto: %.6f nats (one patch start per %.1f bytes on %d sampled documents, every %d-th)%n",
                        threshold, pa.patchSize(), sample.size(), stride);
            }
            PatcherArgs patching = pa;
            JavaRDD<Row> rows = entropied.map(e -> {
                Patcher patcher = patching.build();
                int[] lengths = patcher.patchLengths(tokens(e.bytes()), e.h(), false);
                return RowFactory.create(e.id(), e.source(), e.bytes(), PatchedSchema.toBytes(e.h()), lengths);
            });
            Dataset<Row> df = spark.createDataFrame(rows, PatchedSchema.schema(meta));
            df.write().mode(SaveMode.ErrorIfExists).parquet(tmp.toString());

            // the part files by name: Spark's reader skips a folder whose name starts with '.'
            List<String> parts = new ArrayList<>();
            for (var st : fs.listStatus(tmp)) if (st.getPath().getName().endsWith(".parquet")) parts.add(st.getPath().toString());
            Row sums = spark.read().parquet(parts.toArray(String[]::new)).selectExpr("count(*)", "sum(length(bytes))", "sum(size(patch_lengths))").first();
            meta.put("documents", sums.getLong(0)).put("bytes", sums.getLong(1)).put("patches", sums.getLong(2));
            try (OutputStream s = fs.create(new Path(tmp, PatchedSchema.META_FILE), false)) {
                s.write(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta));
            }
            commit(conf, tmp, out, o.overwrite());
            numbered.unpersist();
            entropied.unpersist();
            return new Summary(out.toString(), sums.getLong(0), sums.getLong(1), sums.getLong(2), threshold, (System.nanoTime() - t0) / 1e9);
        } catch (IOException e) {
            throw new Blt4jException("output " + out + ": " + e.getMessage(), e);
        } catch (Blt4jException e) {
            throw e;
        } catch (Exception e) {   // a failed Spark job (SparkException, thrown unchecked by Scala): the executor's error, in one line
            throw new Blt4jException(Errors.oneLine(e), e);
        } finally {
            try {
                if (fs.exists(tmp)) fs.delete(tmp, true);
            } catch (IOException ignored) {
                // best effort: the folder is hidden and named .tmp
            }
        }
    }

    /**
     * The output may not be an input or a folder that holds one, and {@code --overwrite} replaces only a blt4j dataset
     * (a folder with {@value PatchedSchema#META_FILE}): anything else at the output is refused, not deleted.
     */
    static void checkOutput(FileSystem fs, Path out, List<Inputs.InputFile> files) throws IOException {
        String o = fs.makeQualified(out).toUri().getPath().replaceAll("/+$", "");
        for (Inputs.InputFile f : files) {
            String in = new Path(java.net.URI.create(f.uri())).toUri().getPath();
            if (in.equals(o) || in.startsWith(o + "/"))
                throw new Blt4jException("output " + out + (in.equals(o) ? " is the input " : " holds the input ") + f.uri()
                        + ": give an --out that is not an input and holds none");
        }
        if (fs.exists(out) && !(fs.getFileStatus(out).isDirectory() && fs.exists(new Path(out, PatchedSchema.META_FILE))))
            throw new Blt4jException("output " + out + " exists and is not a blt4j patched dataset (no " + PatchedSchema.META_FILE
                    + "): --overwrite replaces only such a dataset; give another --out, or remove it yourself");
    }

    /**
     * Renames the finished temporary folder to the output. FileContext's rename refuses an existing target (plain
     * FileSystem.rename would move the folder inside it), so a job that lost a race to the same output fails clearly.
     * With overwrite, the old output is first renamed aside, then deleted.
     */
    static void commit(Configuration conf, Path tmp, Path out, boolean overwrite) throws IOException {
        FileContext fc = FileContext.getFileContext(out.toUri(), conf);
        Path old = Staging.sibling(out, "old");
        boolean replaced = false;
        if (overwrite && fc.util().exists(out)) {
            fc.rename(out, old, org.apache.hadoop.fs.Options.Rename.NONE);
            replaced = true;
        }
        try {
            fc.rename(tmp, out, org.apache.hadoop.fs.Options.Rename.NONE);
        } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
            throw new Blt4jException("output " + out + " appeared while this job ran (another job wrote it); this job's result is discarded", e);
        }
        if (replaced) fc.delete(old, true);
    }

    /** Every input's documents: text and JSON-lines files one task each, Parquet files through Spark's reader. */
    static JavaRDD<Doc> documents(SparkSession spark, JavaSparkContext jsc, List<Inputs.InputFile> files) {
        List<Inputs.InputFile> plain = files.stream().filter(f -> f.kind() != Inputs.Kind.PARQUET).toList();
        List<String> parquet = files.stream().filter(f -> f.kind() == Inputs.Kind.PARQUET)
                .map(f -> new Path(java.net.URI.create(f.uri())).toString()).toList();   // decoded: Spark reads a string as a path
        JavaRDD<Doc> docs = null;
        if (!plain.isEmpty())
            docs = jsc.parallelize(plain, plain.size()).flatMap(f -> read(f).iterator());
        if (!parquet.isEmpty()) {
            Dataset<Row> p = spark.read().parquet(parquet.toArray(String[]::new));
            List<String> cols = List.of(p.columns());
            if (!cols.contains("text"))
                throw new Blt4jException("Parquet input " + parquet.getFirst() + (parquet.size() > 1 ? " (and others)" : "")
                        + " has no column 'text' (its columns: " + String.join(", ", cols) + "); give one string column 'text', a row per document");
            var type = p.schema().apply("text").dataType();
            if (!type.equals(DataTypes.StringType) && !type.equals(DataTypes.BinaryType))
                throw new Blt4jException("Parquet input: column 'text' is " + type.simpleString() + "; it must be string (UTF-8) or binary");
            JavaRDD<Doc> pd = p.selectExpr("cast(text as binary) as text", "input_file_name() as source")
                    .where("text is not null and length(text) > 0")
                    .toJavaRDD().map(r -> new Doc(r.getString(1), (byte[]) r.get(0)));
            docs = docs == null ? pd : docs.union(pd);
        }
        return docs;
    }

    /** The documents of one text or JSON-lines file, read on an executor. */
    static List<Doc> read(Inputs.InputFile f) throws IOException {
        Path p = new Path(java.net.URI.create(f.uri()));   // the URI is percent-encoded: "a b.txt" is a%20b.txt
        FileSystem fs = p.getFileSystem(new Configuration());
        try (InputStream in = fs.open(p)) {
            List<Doc> out = new ArrayList<>();
            for (byte[] d : Corpus.parse(in, f.uri())) out.add(new Doc(f.uri(), d));
            return out;
        }
    }

    /** A document with its entropies [len + 2]. */
    record Entropied(long id, String source, byte[] bytes, float[] h) implements Serializable {}

    /** Documents at most this many bytes go through the entropy model together. */
    static final long GROUP_BYTES = 4L << 20;

    static Iterator<Entropied> entropies(Iterator<Tuple2<Long, Doc>> it, String modelUri, int failOnce) {
        TaskContext tc = TaskContext.get();
        boolean fail = tc != null && tc.partitionId() == failOnce && tc.attemptNumber() == 0;
        return new Iterator<>() {
            final ArrayList<Entropied> buffer = new ArrayList<>();
            int next;
            long emitted;

            @Override
            public boolean hasNext() {
                if (next < buffer.size()) return true;
                buffer.clear();
                next = 0;
                List<Tuple2<Long, Doc>> group = new ArrayList<>();
                long bytes = 0;
                while (it.hasNext() && bytes < GROUP_BYTES) {
                    Tuple2<Long, Doc> t = it.next();
                    group.add(t);
                    bytes += t._2().bytes().length;
                }
                if (group.isEmpty()) return false;
                float[][] h = modelUri == null ? new float[group.size()][] : entropiesOf(ExecutorModels.entropyModel(modelUri), group);
                for (int i = 0; i < group.size(); i++) {
                    Doc d = group.get(i)._2();
                    buffer.add(new Entropied(group.get(i)._1(), d.source(), d.bytes(), h[i] != null ? h[i] : new float[d.bytes().length + 2]));
                }
                return true;
            }

            @Override
            public Entropied next() {
                if (!hasNext()) throw new java.util.NoSuchElementException();
                if (fail && emitted == 1) throw new IllegalStateException("injected failure (test): first attempt of partition " + failOnce);
                emitted++;
                return buffer.get(next++);
            }
        };
    }

    static float[][] entropiesOf(EntropyModel model, List<Tuple2<Long, Doc>> group) {
        List<byte[]> docs = new ArrayList<>(group.size());
        for (Tuple2<Long, Doc> t : group) docs.add(t._2().bytes());
        return ChunkedEntropies.ofDocuments(model, docs, ChunkedEntropies.Chunking.exact(model.args(), Parallel.poolSize()));
    }

    /** BOS + bytes + EOS ids of a document. */
    static int[] tokens(byte[] doc) {
        return org.blt4j.data.TokenStream.encode(List.of(doc));
    }

    static ObjectNode meta(Options o, List<Inputs.InputFile> files, EntropyModel em) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        m.put("format", PatchedSchema.FORMAT);
        PatcherArgs pa = o.patching();
        ObjectNode p = m.putObject("patching");
        p.put("mode", pa.mode().configName());
        if (pa.threshold() != null) p.put("threshold", pa.threshold()); else p.putNull("threshold");
        p.put("threshold_auto", o.autoThreshold()).put("patch_size", pa.patchSize()).put("monotonicity", pa.monotonicity());
        if (pa.maxPatchLength() != null) p.put("max_patch_length", pa.maxPatchLength()); else p.putNull("max_patch_length");
        if (o.autoThreshold()) p.put("sample_bytes", o.sampleBytes());
        if (em != null) {
            ObjectNode e = m.putObject("entropy_model");
            e.put("path", o.entropyModel());
            e.set("args", Json.MAPPER.valueToTree(em.args()));
            ChunkedEntropies.Chunking c = ChunkedEntropies.Chunking.exact(em.args(), 1);
            m.putObject("chunking").put("chunk_tokens", c.chunkTokens()).put("warmup", c.warmup()).put("position_period", c.positionPeriod());
        }
        var in = m.putArray("inputs");
        for (Inputs.InputFile f : files) in.add(f.uri());
        m.put("created", Instant.now().toString());
        return m;
    }

    static String absolute(String path, Configuration conf) {
        Path p = new Path(path);
        return fileSystem(p, conf).makeQualified(p).toUri().toString();
    }

    static FileSystem fileSystem(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new Blt4jException(p + ": no file system for it (" + e.getMessage() + ")", e);
        }
    }

    /** Documents 0..docs-1 in `parts` contiguous id ranges of (nearly) equal counts. */
    static final class IdRanges extends Partitioner {
        private final int parts;
        private final long docs;

        IdRanges(int parts, long docs) {
            this.parts = parts;
            this.docs = docs;
        }

        @Override public int numPartitions() { return parts; }

        @Override public int getPartition(Object key) {
            return (int) Math.min(parts - 1, (long) key * parts / docs);
        }

        @Override public boolean equals(Object o) {
            return o instanceof IdRanges r && r.parts == parts && r.docs == docs;
        }

        @Override public int hashCode() {
            return Long.hashCode(docs) * 31 + parts;
        }
    }
}
