package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.EntropyCache;
import org.blt4j.data.PatchedData;
import org.blt4j.data.TokenStream;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.Training;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The patch job on local[2,2] against the single-process path, retried tasks, and bad input. */
class PatchJobTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());
    /** Bytes of the bundled sample the job patches (its first documents). */
    static final long CORPUS_BYTES = 200_000;

    @TempDir
    static Path tmp;
    static Path corpus;
    static SparkSession spark;
    static PatchJob.Summary clean;
    static Path cleanOut;

    static PatchJob.Options options(Path out, int failOnce) {
        return new PatchJob.Options(List.of(corpus.toString()), out.toString(), TestSpark.entropyModel().toString(),
                new PatcherArgs(org.blt4j.patch.PatchingMode.ENTROPY, null, null, false, null, 4.5), true, 100_000, 5, false, failOnce);
    }

    @BeforeAll
    static void patchOnce() {
        corpus = TestSpark.corpusPrefix(tmp, CORPUS_BYTES);
        spark = TestSpark.session();
        cleanOut = tmp.resolve("clean.parquet");
        clean = PatchJob.run(spark, options(cleanOut, -1), QUIET);
    }

    @Test
    void entropiesAndPatchLengthsEqualTheSingleProcessPath() {
        PatchedData d = ParquetDatasetReader.read(spark, cleanOut.toUri().toString(), "test");
        List<byte[]> docs = Corpus.read(corpus);
        assertEquals(docs.size(), d.docs().size());
        assertEquals(clean.documents(), docs.size());
        // the single-process path: the whole stream through the entropy cache, sliced at documents
        EntropyModel em = ModelLoader.entropyModel(TestSpark.entropyModel());
        int[] ids = TokenStream.encode(docs);
        float[] h = EntropyCache.entropies(em, ids, corpus, tmp.resolve("cache"), ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize()),
                ChunkedEntropies.Progress.NONE, m -> {}).entropies();
        JsonNode p = d.metadata().path("patching");
        long stride = p.path("sample_stride").asLong();
        List<float[]> sample = new ArrayList<>();
        List<Row> lengths = spark.read().parquet(cleanOut.toString()).select("id", "patch_lengths", "source").orderBy("id").collectAsList();
        int at = 0;
        for (int i = 0; i < docs.size(); i++) {
            int n = docs.get(i).length + 2;
            float[] want = java.util.Arrays.copyOfRange(h, at, at + n);
            at += n;
            assertArrayEquals(docs.get(i), d.docs().get(i), "document " + i);
            assertArrayEquals(want, d.entropies().get(i), "entropies of document " + i);
            if (i % stride == 0) sample.add(want);
        }
        double threshold = Training.autoThreshold(PatchedData.concat(sample), 4.5);
        assertEquals(threshold, p.path("threshold").asDouble(), 0.0);
        var patcher = new PatcherArgs(org.blt4j.patch.PatchingMode.ENTROPY, threshold, null, false, null, 4.5).build();
        at = 0;
        for (int i = 0; i < docs.size(); i++) {
            int[] want = patcher.patchLengths(TokenStream.encode(List.of(docs.get(i))), d.entropies().get(i), false);
            List<Integer> got = lengths.get(i).getList(1);
            assertArrayEquals(want, got.stream().mapToInt(Integer::intValue).toArray(), "patch lengths of document " + i);
            assertEquals(corpus.toUri().toString().replace("file:///", "file:/"), lengths.get(i).getString(2).replace("file:///", "file:/"));
        }
        assertEquals("blt4j-patched-v1", d.metadata().path("format").asText());
        assertTrue(Files.isRegularFile(cleanOut.resolve("_blt4j.json")));
        assertTrue(Files.isRegularFile(cleanOut.resolve("_SUCCESS")));
        assertEquals(1, ExecutorModels.loads(), "the entropy model is loaded once per JVM, not per task or document");
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheDatasetIsIdentical() {
        Path out = tmp.resolve("retried.parquet");
        PatchJob.run(spark, options(out, 2), QUIET);
        List<Row> a = rows(cleanOut), b = rows(out);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            for (int c = 0; c < 5; c++) {
                Object x = a.get(i).get(c), y = b.get(i).get(c);
                if (x instanceof byte[] bx) assertArrayEquals(bx, (byte[]) y, "row " + i + " column " + c);
                else assertEquals(x.toString(), y.toString(), "row " + i + " column " + c);
            }
        }
        assertEquals(PatchJobTest.metaWithoutTime(cleanOut), PatchJobTest.metaWithoutTime(out));
        assertEquals(1, ExecutorModels.loads());
    }

    @Test
    void trainReadsTheDatasetsEntropiesWithoutAnEntropyModel() throws Exception {
        Path cfg = tmp.resolve("blt.json");
        Files.writeString(cfg, """
                {"model": {"args": {"dim_global": 32, "dim_local_encoder": 16, "dim_local_decoder": 16,
                   "n_heads_global": 2, "n_heads_local_encoder": 2, "n_heads_local_decoder": 2,
                   "n_layers_global": 1, "n_layers_local_encoder": 1, "n_layers_local_decoder": 1,
                   "cross_attn_encoder": true, "cross_attn_decoder": true, "cross_attn_init_by_pooling": true,
                   "cross_attn_k": 2, "cross_attn_nheads": 2, "cross_attn_all_layers_decoder": true,
                   "encoder_hash_byte_group_size": [3, 4], "encoder_hash_byte_group_vocab": 500,
                   "local_attention_window_len": 32, "multiple_of": 16, "rope_theta": 500000.0,
                   "patching_mode": "entropy", "patching_threshold": "auto"}},
                 "optim": {"lr": 0.01, "warmup": 2},
                 "data": {"path": "unused.txt", "seq_len": 64, "batch_size": 2, "max_patches": 24},
                 "train": {"steps": 3, "eval_every": 3, "eval_bytes": 500, "seed": 3}}
                """);
        Path run = tmp.resolve("blt-run");
        var out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(out, true));
            rc = org.blt4j.cli.Main.commandLine().execute("train", "--config", cfg.toString(), "--data", cleanOut.toString(), "--out", run.toString());
        } finally {
            System.setOut(old);
        }
        String log = out.toString();
        assertEquals(0, rc, log);
        assertTrue(log.contains("entropies read from it"), log);
        double t = ParquetDatasetReader.read(spark, cleanOut.toUri().toString(), "test").metadata().path("patching").path("threshold").asDouble();
        assertTrue(log.contains(String.format("patching_threshold auto: %.4f nats, the patched dataset's", t)), log);
        assertTrue(Files.isRegularFile(run.resolve("step-000003/model.safetensors")), log);
    }

    /** Names with a space and a '%' are read too (their percent-encoded URIs were taken as paths: "does not exist"). */
    @Test
    void jsonLinesGzipAndParquetInputsAreSplitAsTheTrainerSplitsThem() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mixed"));
        Files.writeString(dir.resolve("a.jsonl"), "{\"text\": \"first doc\"}\n\n{\"text\": \"second, \\u00e9t\u00e9\"}\n{\"text\": \"\"}\n");
        try (var gz = new java.util.zip.GZIPOutputStream(Files.newOutputStream(dir.resolve("b 100%.txt.gz")))) {
            gz.write("para one\nline two\n\n\npara three\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        Path pq = dir.resolve("c d.parquet");
        spark.createDataFrame(List.of(org.apache.spark.sql.RowFactory.create("from parquet 1"), org.apache.spark.sql.RowFactory.create("from parquet 2")),
                new org.apache.spark.sql.types.StructType().add("text", org.apache.spark.sql.types.DataTypes.StringType)).coalesce(1).write().parquet(pq.toString());
        Path out = tmp.resolve("mixed-out.parquet");
        PatchJob.run(spark, new PatchJob.Options(List.of(dir.toString()), out.toString(), null,
                new PatcherArgs(org.blt4j.patch.PatchingMode.SPACE, null, null, false, null, 4.5), false, 1, 2, false, -1), QUIET);
        List<String> texts = new ArrayList<>();
        for (Row r : rows(out)) texts.add(new String((byte[]) r.get(2), java.nio.charset.StandardCharsets.UTF_8));
        List<String> want = new ArrayList<>();
        for (Path f : List.of(dir.resolve("a.jsonl"), dir.resolve("b 100%.txt.gz")))
            for (byte[] d : Corpus.read(f)) want.add(new String(d, java.nio.charset.StandardCharsets.UTF_8));
        want.add("from parquet 1");
        want.add("from parquet 2");
        assertEquals(want, texts);
        assertEquals(List.of("first doc", "second, \u00e9t\u00e9", "para one\nline two", "para three", "from parquet 1", "from parquet 2"), texts);
    }

    static List<Row> rows(Path ds) {
        return spark.read().parquet(ds.toString()).orderBy("id").collectAsList();
    }

    static List<String> texts(Path ds) {
        return rows(ds).stream().map(r -> new String((byte[]) r.get(2), java.nio.charset.StandardCharsets.UTF_8)).toList();
    }

    static String metaWithoutTime(Path ds) {
        try {
            var m = (com.fasterxml.jackson.databind.node.ObjectNode) org.blt4j.io.Json.MAPPER.readTree(ds.resolve("_blt4j.json").toFile());
            m.remove("created");
            return m.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * A dataset missing its last part file (no gap in the ids: it trained on 90% of the text without a word) or its
     * _blt4j.json is refused when read, naming what is wrong.
     */
    @Test
    void anIncompleteDatasetIsRefused() throws Exception {
        Path partial = tmp.resolve("partial.parquet"), unmarked = tmp.resolve("unmarked.parquet");
        for (Path copy : List.of(partial, unmarked)) {
            Files.createDirectories(copy);
            try (Stream<Path> files = Files.list(cleanOut)) {
                for (Path f : files.toList()) Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        List<Path> parts;
        try (Stream<Path> files = Files.list(partial)) {
            parts = files.filter(f -> f.getFileName().toString().startsWith("part-") && f.toString().endsWith(".parquet")).sorted().toList();
        }
        assertTrue(parts.size() > 1, parts.toString());
        Files.delete(parts.getLast());
        Blt4jException e = assertThrows(Blt4jException.class, () -> ParquetDatasetReader.read(spark, partial.toUri().toString(), "partial"));
        assertTrue(e.getMessage().contains("part files missing or added"), e.getMessage());
        Files.delete(unmarked.resolve("_blt4j.json"));
        e = assertThrows(Blt4jException.class, () -> ParquetDatasetReader.read(spark, unmarked.toUri().toString(), "unmarked"));
        assertTrue(e.getMessage().contains("has no _blt4j.json"), e.getMessage());
    }

    @Test
    void badInputIsOneLineAndLeavesNoDataset() throws Exception {
        Path parent = Files.createDirectories(tmp.resolve("bad"));
        Path out = parent.resolve("out.parquet");
        PatcherArgs pa = new PatcherArgs(org.blt4j.patch.PatchingMode.ENTROPY, 2.0, null, false, null, 4.5);
        String em = TestSpark.entropyModel().toString();
        Blt4jException e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(parent.resolve("missing.txt").toString()), out.toString(), em, pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("missing.txt: no such file"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(parent.resolve("*.nothing").toString()), out.toString(), em, pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("matches no file"), e.getMessage());
        // an entropy model folder that cannot be read
        e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(corpus.toString()), out.toString(), parent.resolve("no-model").toString(), pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("entropy model") && e.getMessage().contains("no-model"), e.getMessage());
        // a binary file fails in an executor: the driver gets the executor's one-line error
        Path binary = parent.resolve("weights.txt");
        Files.write(binary, new byte[] {1, 2, 0, 3, 4});
        e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(corpus.toString(), binary.toString()), out.toString(), em, pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("looks binary"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        // a Parquet input without a text column
        Path foreign = parent.resolve("foreign.parquet");
        spark.range(3).toDF("n").write().parquet(foreign.toString());
        e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(foreign.toString()), out.toString(), em, pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("no column 'text'"), e.getMessage());
        // ... nor can it be read as a patched dataset
        e = assertThrows(Blt4jException.class, () -> ParquetDatasetReader.read(spark, foreign.toUri().toString(), foreign.toString()));
        assertTrue(e.getMessage().contains("is not a blt4j patched dataset") && e.getMessage().contains("no column 'entropies'"), e.getMessage());
        try (Stream<Path> left = Files.list(parent)) {
            List<String> names = left.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("foreign.parquet", "weights.txt"), names, "no output, no temporary folder left");
        }
        // an existing output is refused
        e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(corpus.toString()), cleanOut.toString(), em, pa, false, 1, 1, false, -1), QUIET));
        assertTrue(e.getMessage().contains("exists"), e.getMessage());
        // --overwrite deletes nothing but a blt4j dataset: not an input, not a folder that holds one, not another folder
        Path inputs = Files.createDirectories(parent.resolve("corpus"));
        Path doc = Files.writeString(inputs.resolve("a.txt"), "Hello.\n\nBye.\n");
        Path precious = Files.createDirectories(parent.resolve("precious"));
        Path thesis = Files.writeString(precious.resolve("thesis.tex"), "important");
        for (String[] c : new String[][] {{inputs.toString(), inputs.toString(), "holds the input"}, {doc.toString(), doc.toString(), "is the input"},
                {doc.toString(), inputs.toString(), "holds the input"}, {doc.toString(), precious.toString(), "is not a blt4j patched dataset"}}) {
            e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                    new PatchJob.Options(List.of(c[0]), c[1], em, pa, false, 1, 1, true, -1), QUIET));
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
        assertEquals("important", Files.readString(thesis));
        assertEquals("Hello.\n\nBye.\n", Files.readString(doc));
    }

    @Test
    void aMasterThatDoesNotAnswerIsOneLine() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        long t0 = System.nanoTime();
        Blt4jException e = assertThrows(Blt4jException.class, () -> Sessions.checkMaster("spark://127.0.0.1:" + port));
        assertTrue(e.getMessage().contains("does not answer"), e.getMessage());
        assertTrue((System.nanoTime() - t0) / 1e9 < 30);
        e = assertThrows(Blt4jException.class, () -> Sessions.checkMaster("mesos://x:1"));
        assertTrue(e.getMessage().contains("give local[N]"), e.getMessage());
    }

    /** local[0] was refused by Spark itself, its stack trace printed before the one-line error. */
    @Test
    void aLocalMasterWithoutThreadsIsOneLine() {
        for (String m : List.of("local[0]", "local[0,2]", "local[2,0]", "local[-1]", "local[x]", "local[2", "local[]", "local[99999999999]")) {
            Blt4jException e = assertThrows(Blt4jException.class, () -> Sessions.checkMaster(m), m);
            assertTrue(e.getMessage().contains("--master " + m + ": give local[N] with N >= 1"), e.getMessage());
        }
        for (String m : List.of("local", "local[1]", "local[*]", "local[2,3]", "local[*, 4]")) Sessions.checkMaster(m);
    }

    /**
     * A driver killed with kill -9 left its staging folder beside the output for good; the next job writing that
     * output removes the folders of this host's dead drivers (and puts back an output moved aside by a killed
     * --overwrite), never one of a live process or of another host.
     */
    @Test
    void aKilledDriversStagingFoldersAreCleanedUpByTheNextJob() throws Exception {
        Path parent = Files.createDirectories(tmp.resolve("stale"));
        Path doc = Files.writeString(parent.resolve("a.txt"), "Hello there.\n\nBye now.\n");
        Path out = parent.resolve("out.parquet");
        PatcherArgs space = new PatcherArgs(org.blt4j.patch.PatchingMode.SPACE, null, null, false, null, 4.5);
        PatchJob.run(spark, new PatchJob.Options(List.of(doc.toString()), out.toString(), null, space, false, 1, 1, false, -1), QUIET);
        List<String> before = texts(out);

        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long dead = p.pid(), live = ProcessHandle.current().parent().orElseThrow().pid();
        String host = Staging.HOST;
        // killed between the two renames of --overwrite: the output moved aside, the new one still staged
        Path movedAside = parent.resolve(".out.parquet.old-" + host + "-" + dead + "-" + java.util.UUID.randomUUID());
        Files.move(out, movedAside);
        Path deadTmp = staged(parent, host, dead), liveTmp = staged(parent, host, live), ownTmp = staged(parent, host, ProcessHandle.current().pid()),
                otherHost = staged(parent, host + "-elsewhere", dead);
        Path unnamed = Files.createDirectories(parent.resolve(".out.parquet.tmp-" + java.util.UUID.randomUUID()));   // the older form
        Files.writeString(unnamed.resolve("part-00000"), "partial");

        var log = new ByteArrayOutputStream();
        Blt4jException e = assertThrows(Blt4jException.class, () -> PatchJob.run(spark,
                new PatchJob.Options(List.of(doc.toString()), out.toString(), null, space, false, 1, 1, false, -1), new PrintStream(log, true)));
        assertTrue(e.getMessage().contains("exists"), e.getMessage());   // the moved-aside output is back
        assertTrue(log.toString().contains("restored " + out) && log.toString().contains("removed " + deadTmp.getFileName()), log.toString());
        assertEquals(before, texts(out));
        assertFalse(Files.exists(deadTmp) || Files.exists(movedAside));
        for (Path kept : List.of(liveTmp, ownTmp, otherHost, unnamed)) assertTrue(Files.isRegularFile(kept.resolve("part-00000")), kept.toString());

        PatchJob.run(spark, new PatchJob.Options(List.of(doc.toString()), out.toString(), null, space, false, 1, 1, true, -1), QUIET);
        try (Stream<Path> left = Files.list(parent)) {
            assertEquals(java.util.stream.Stream.of(doc, out, liveTmp, ownTmp, otherHost, unnamed).map(f -> f.getFileName().toString()).sorted().toList(),
                    left.map(f -> f.getFileName().toString()).sorted().toList());
        }
    }

    /** A staging folder of the output out.parquet with a file in it, as a driver of that host and pid names it. */
    static Path staged(Path parent, String host, long pid) throws java.io.IOException {
        Path d = Files.createDirectories(parent.resolve(".out.parquet.tmp-" + host + "-" + pid + "-" + java.util.UUID.randomUUID()));
        Files.writeString(d.resolve("part-00000"), "partial");
        return d;
    }
}
