package org.blt4j.train.diloco;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ModelLoader;
import org.blt4j.run.MetricsLog;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Trainer;
import org.blt4j.train.Training;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DiLoCo end to end on tiny models: plain training as its special case, exact replays, resume. */
class DiLoCoTest {
    @TempDir
    static Path tmp;
    static Path data;
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @BeforeAll
    static void sample() throws Exception {
        byte[] all;
        try (var in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            all = in.readNBytes(60_000);
        }
        data = tmp.resolve("sample.txt");
        Files.write(data, all);
    }

    static TrainConfig entropyConfig(Path out, int steps) throws Exception {
        return config("""
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16, "sliding_window": 32,
                                    "max_seqlen": 64}},
                 "optim": {"lr": 0.01, "warmup": 2, "schedule": "cosine"},
                 "data": {"path": "%s", "seq_len": 48, "batch_size": 4},
                 "train": {"steps": %d, "checkpoint_every": 5, "keep": 2, "eval_every": 10, "eval_bytes": 2000,
                           "log_every": 1, "seed": 7, "out": "%s"}}
                """.formatted(data, steps, out));
    }

    static TrainConfig bltConfig(Path out, int steps) throws Exception {
        Path em = GoldenCases.ofKind("entropy_model_forward").getFirst().dir();
        return config("""
                {"model": {"args": {"dim_global": 32, "dim_local_encoder": 16, "dim_local_decoder": 16,
                   "n_heads_global": 2, "n_heads_local_encoder": 2, "n_heads_local_decoder": 2,
                   "n_layers_global": 1, "n_layers_local_encoder": 1, "n_layers_local_decoder": 1,
                   "cross_attn_encoder": true, "cross_attn_decoder": true, "cross_attn_init_by_pooling": true,
                   "cross_attn_k": 2, "cross_attn_nheads": 2, "cross_attn_all_layers_decoder": true,
                   "encoder_hash_byte_group_size": [3, 4], "encoder_hash_byte_group_vocab": 500,
                   "local_attention_window_len": 32, "multiple_of": 16, "rope_theta": 500000.0,
                   "patching_mode": "entropy", "patching_threshold": "auto"}},
                 "optim": {"lr": 0.01, "warmup": 2},
                 "data": {"path": "%s", "seq_len": 64, "batch_size": 4, "entropy_model": "%s", "max_patches": 24},
                 "train": {"steps": %d, "checkpoint_every": 6, "eval_every": 10, "eval_bytes": 2000, "seed": 3,
                           "out": "%s"}}
                """.formatted(data, em, steps, out));
    }

    static TrainConfig config(String json) throws Exception {
        return TrainConfig.fromTree((ObjectNode) new ObjectMapper().readTree(json), List.of(), "test");
    }

    static DiLoCo.Result diloco(TrainConfig cfg, DiLoCoArgs args, boolean resume, long stopAfter) {
        Path run = Path.of(cfg.train().out());
        RunStore store = new LocalRunStore(run);
        return new DiLoCo(cfg, args, store, run, QUIET).run(new LocalRoundRunner(cfg.toTree(), args, store), resume, stopAfter);
    }

    static List<Double> assertReducesToPlainTraining(TrainConfig plain, TrainConfig dl) {
        TrainTask task = ShardTasks.build(plain, 0, 1, m -> {});
        Trainer.Result t = new Trainer(task, plain, Path.of(plain.train().out()), QUIET).run(null);
        DiLoCo.Result d = diloco(dl, new DiLoCoArgs(1, 1, 1.0, 0.0), false, Long.MAX_VALUE);
        assertEquals(20, t.losses().size());
        assertEquals(20, d.losses().size());
        assertEquals(20, d.rounds());
        for (int i = 0; i < 20; i++) assertEquals(t.losses().get(i), d.losses().get(i), 1e-6, "step " + (i + 1));
        assertEquals(t.heldOutBpb(), d.heldOutBpb(), 1e-5);
        return t.losses();
    }

    @Test
    void oneWorkerOneStepIsPlainTrainingEntropyModel() throws Exception {
        List<Double> plain = assertReducesToPlainTraining(entropyConfig(tmp.resolve("plain-em"), 20), entropyConfig(tmp.resolve("dl-em"), 20));
        assertEquals(20, MetricsLog.read(tmp.resolve("dl-em")).size());
        // H = 5 with outer lr 1, momentum 0 too: each round hands θ_w on, the inner state (AdamW, data) carries over
        DiLoCo.Result h5 = diloco(entropyConfig(tmp.resolve("dl-em-h5"), 20), new DiLoCoArgs(1, 5, 1.0, 0.0), false, Long.MAX_VALUE);
        assertEquals(4, h5.rounds());
        for (int i = 0; i < 20; i++) assertEquals(plain.get(i), h5.losses().get(i), 1e-6, "H 5, step " + (i + 1));
        assertTrue(Files.exists(tmp.resolve("dl-em").resolve("step-000020").resolve("model.safetensors")));
    }

    @Test
    void oneWorkerOneStepIsPlainTrainingBlt() throws Exception {
        TrainConfig plain = bltConfig(tmp.resolve("plain-blt"), 20);
        assertReducesToPlainTraining(plain, bltConfig(tmp.resolve("dl-blt"), 20));
        // the plain path (Training.bltTask, auto threshold on the whole stream) gives the same losses too
        TrainConfig again = bltConfig(tmp.resolve("plain-blt2"), 20);
        Trainer.Result r = new Trainer(Training.bltTask(again, Training.streams(again), m -> {}), again,
                tmp.resolve("plain-blt2"), QUIET).run(null);
        DiLoCo.Result d = diloco(bltConfig(tmp.resolve("dl-blt2"), 20), new DiLoCoArgs(1, 1, 1.0, 0.0), false, Long.MAX_VALUE);
        for (int i = 0; i < 20; i++) assertEquals(r.losses().get(i), d.losses().get(i), 1e-6, "step " + (i + 1));
    }

    @Test
    void workerRoundReplaysBitIdentical() throws Exception {
        TrainConfig cfg = entropyConfig(tmp.resolve("replay"), 12);
        DiLoCoArgs args = new DiLoCoArgs(2, 3, 0.7, 0.9);
        RunStore store = new LocalRunStore(tmp.resolve("replay"));
        float[] theta0 = ShardTasks.build(cfg, 0, 1, m -> {}).params().data().clone();
        DiLoCoWorker.runRound(cfg.toTree(), args, 1, 0, theta0, store);
        float[] theta1 = theta0.clone();
        for (int i = 0; i < theta1.length; i++) theta1[i] *= 0.99f;
        DiLoCoWorker.RoundResult a = DiLoCoWorker.runRound(cfg.toTree(), args, 1, 1, theta1, store);
        byte[] stateA = store.read(WorkerState.name(1, 1));
        DiLoCoWorker.runRound(cfg.toTree(), args, 0, 0, theta0, store);       // another worker in between
        DiLoCoWorker.RoundResult b = DiLoCoWorker.runRound(cfg.toTree(), args, 1, 1, theta1, store);   // a retry, cached task
        DiLoCoWorker.clearCache();
        DiLoCoWorker.RoundResult c = DiLoCoWorker.runRound(cfg.toTree(), args, 1, 1, theta1, store);   // a retry, fresh JVM-like
        for (DiLoCoWorker.RoundResult x : List.of(b, c)) {
            assertArrayEquals(a.delta(), x.delta());
            assertArrayEquals(a.losses(), x.losses());
            assertEquals(a.bytes(), x.bytes());
        }
        assertArrayEquals(stateA, store.read(WorkerState.name(1, 1)));
        assertEquals(3, a.losses().length);
        assertTrue(a.delta()[0] != 0 || a.delta()[1] != 0, "the worker moved its parameters");
        // round 2 without round 1's state of worker 0: a clear error naming the file
        Blt4jException e = assertThrows(Blt4jException.class, () -> DiLoCoWorker.runRound(cfg.toTree(), args, 0, 2, theta1, store));
        assertTrue(e.getMessage().contains("workers/w0/round-1.bin"), e.getMessage());
    }

    @Test
    void twoWorkersAreDeterministicAndResumeExactly() throws Exception {
        DiLoCoArgs args = new DiLoCoArgs(2, 3, 0.7, 0.9);
        DiLoCo.Result a = diloco(entropyConfig(tmp.resolve("n2-a"), 11), args, false, Long.MAX_VALUE);
        DiLoCoWorker.clearCache();
        DiLoCo.Result b = diloco(entropyConfig(tmp.resolve("n2-b"), 11), args, false, Long.MAX_VALUE);
        assertEquals(4, a.rounds());
        assertEquals(11, a.innerSteps());
        assertEquals(11, a.losses().size());
        assertArrayEquals(params(a), params(b));
        assertEquals(a.losses(), b.losses());
        long p = ModelLoader.entropyModel(a.lastCheckpoint()).params().size();
        assertEquals(4 * p * 3, a.bytesSentPerRound());

        Path run = tmp.resolve("n2-c");
        DiLoCo.Result first = diloco(entropyConfig(run, 11), args, false, 2);
        assertEquals(2, first.rounds());
        assertTrue(Files.exists(run.resolve("workers/w1/round-1.bin")));
        assertTrue(!Files.exists(run.resolve("workers/w1/round-0.bin")), "round 0's states are deleted after round 1's checkpoint");
        DiLoCo.Result rest = diloco(entropyConfig(run, 11), args, true, Long.MAX_VALUE);
        assertEquals(4, rest.rounds());
        assertArrayEquals(params(a), params(rest));
        assertEquals(a.losses().subList(6, 11), rest.losses());
        assertEquals(a.heldOutBpb(), rest.heldOutBpb());
        assertEquals(11, MetricsLog.read(run).size());

        Blt4jException e = assertThrows(Blt4jException.class,
                () -> diloco(entropyConfig(run, 11), new DiLoCoArgs(3, 3, 0.7, 0.9), true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("workers=2"), e.getMessage());

        // killed between round 2's step folder and its latest file: --resume takes the newest step folder (it was a
        // dead end: "no latest file", and the advice "--resume STEP" is not a train-diloco flag) and ends the same
        Path killed = tmp.resolve("n2-d");
        diloco(entropyConfig(killed, 11), args, false, 2);
        Files.delete(killed.resolve("latest"));
        e = assertThrows(Blt4jException.class, () -> diloco(entropyConfig(killed, 11), args, false, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("(train-diloco: --resume)"), e.getMessage());
        DiLoCo.Result resumed = diloco(entropyConfig(killed, 11), args, true, Long.MAX_VALUE);
        assertArrayEquals(params(a), params(resumed));
        assertEquals(a.losses().subList(6, 11), resumed.losses());

        // a writer killed mid-write leaves ".round-0.bin.tmp-*" (a worker's is as large as its state): removed with
        // round 0's states once round 1 is committed; another name's temporary is left
        Path leaks = tmp.resolve("n2-f");
        diloco(entropyConfig(leaks, 11), args, false, 1);
        Path[] planted = {leaks.resolve("workers/w0/.round-0.bin.tmp-deadbeef"), leaks.resolve("workers/w1/.round-0.bin.tmp-1234"),
                leaks.resolve("outer/.round-0.bin.tmp-cafe")};
        for (Path f : planted) Files.write(f, new byte[1000]);
        Path other2 = Files.write(leaks.resolve("workers/w0/.round-7.bin.tmp-beef"), new byte[10]);
        diloco(entropyConfig(leaks, 11), args, true, 1);
        assertTrue(!Files.exists(leaks.resolve("workers/w0/round-0.bin")), "round 0's state is deleted");
        for (Path f : planted) assertTrue(!Files.exists(f), f + " is left");
        assertTrue(Files.exists(other2));

        // states written with the parameters in another order (another version's layout) are refused, not scrambled
        Path other = tmp.resolve("n2-e");
        diloco(entropyConfig(other, 11), args, false, 1);
        try (var files = Files.walk(other)) {
            for (Path f : files.filter(f -> f.getFileName().toString().equals("state.json")).toList()) {
                String json = Files.readString(f);
                assertTrue(json.contains("\"param_layout\""), json);
                Files.writeString(f, json.replaceAll("\"param_layout\"\\s*:\\s*\"[0-9a-f]+\"", "\"param_layout\" : \"0123456789abcdef\""));
            }
        }
        e = assertThrows(Blt4jException.class, () -> diloco(entropyConfig(other, 11), args, true, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("hold the parameters in another order"), e.getMessage());
    }

    @Test
    void aRunThatDivergesSavesNothing() throws Exception {
        // lr 1e300: step 1's loss is finite, its update overflows the weights; they were saved and the run exited 0
        Path plainRun = tmp.resolve("diverged-plain");
        TrainConfig plain = config("""
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16, "max_seqlen": 64}},
                 "optim": {"lr": 1e300, "warmup": 0},
                 "data": {"path": "%s", "seq_len": 48, "batch_size": 4},
                 "train": {"steps": 1, "eval_bytes": 2000, "out": "%s"}}
                """.formatted(data, plainRun));
        Blt4jException e = assertThrows(Blt4jException.class,
                () -> new Trainer(ShardTasks.build(plain, 0, 1, m -> {}), plain, plainRun, QUIET).run(null));
        assertTrue(e.getMessage().contains("training diverged at step 1") && e.getMessage().contains("optim.lr"), e.getMessage());
        assertTrue(org.blt4j.io.ModelDirs.steps(plainRun).isEmpty(), "a diverged model was checkpointed");

        Path dl = tmp.resolve("diverged-diloco");
        e = assertThrows(Blt4jException.class, () -> diloco(entropyConfig(dl, 2), new DiLoCoArgs(1, 1, 1e300, 0.0), false, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("training diverged at step 1") && e.getMessage().contains("--outer-lr"), e.getMessage());
        assertTrue(org.blt4j.io.ModelDirs.steps(dl).isEmpty(), "a diverged model was checkpointed");
    }

    @Test
    void minutesOnlyConfigIsRefused() throws Exception {
        TrainConfig cfg = config("""
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16}},
                 "data": {"path": "%s"}, "train": {"minutes": 1, "out": "%s"}}
                """.formatted(data, tmp.resolve("minutes")));
        Blt4jException e = assertThrows(Blt4jException.class, () -> diloco(cfg, DiLoCoArgs.defaults(2), false, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("train.steps"), e.getMessage());
    }

    @Test
    void aPatchedDatasetIsRefusedWithWhatToDo() throws Exception {
        TrainConfig cfg = config("""
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16}},
                 "data": {"path": "%s"}, "train": {"steps": 4, "out": "%s"}}
                """.formatted(tmp.resolve("corpus.parquet"), tmp.resolve("pq")));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ShardTasks.build(cfg, 0, 2, m -> {}));
        assertTrue(e.getMessage().contains("not the patched dataset") && e.getMessage().contains("./blt4j train --data"), e.getMessage());
    }

    static float[] params(DiLoCo.Result r) {
        return ModelLoader.entropyModel(r.lastCheckpoint()).params().data();
    }
}
