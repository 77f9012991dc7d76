package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.blt4j.io.Json;
import org.blt4j.model.ModelLoader;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.Trainer;
import org.blt4j.train.diloco.DiLoCo;
import org.blt4j.train.diloco.DiLoCoArgs;
import org.blt4j.train.diloco.DiLoCoWorker;
import org.blt4j.train.diloco.RunStore;
import org.blt4j.train.diloco.ShardTasks;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** DiLoCo with its rounds as Spark stages on local[2,2]: plain training as a special case, retries, resume. */
class DiLoCoSparkTest {
    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream());

    @TempDir
    static Path tmp;
    static Path data;
    static JavaSparkContext jsc;

    @BeforeAll
    static void setUp() throws Exception {
        byte[] all = TestSpark.gunzip(Path.of("..", "data", "sotu-sample.txt.gz"));
        data = tmp.resolve("sample.txt");
        Files.write(data, java.util.Arrays.copyOf(all, 60_000));
        jsc = JavaSparkContext.fromSparkContext(TestSpark.session().sparkContext());
    }

    static TrainConfig config(Path out, int steps) throws Exception {
        String json = """
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16, "sliding_window": 32,
                                    "max_seqlen": 64}},
                 "optim": {"lr": 0.01, "warmup": 2, "schedule": "cosine"},
                 "data": {"path": "%s", "seq_len": 48, "batch_size": 4},
                 "train": {"steps": %d, "checkpoint_every": 5, "keep": 2, "eval_every": 10, "eval_bytes": 2000,
                           "log_every": 1, "seed": 7, "out": "%s"}}
                """.formatted(data, steps, out);
        return TrainConfig.fromTree((ObjectNode) Json.MAPPER.readTree(json), List.of(), "test");
    }

    /** A DiLoCo run on Spark; failRound/failWorker: that task's first attempt fails (-1: none). */
    static DiLoCo.Result onSpark(TrainConfig cfg, DiLoCoArgs args, boolean resume, long stopAfter, long failRound, int failWorker) {
        Path run = Path.of(cfg.train().out());
        RunStore store = HadoopRunStore.of(run.toString());
        return new DiLoCo(cfg, args, store, run, QUIET)
                .run(new SparkRoundRunner(jsc, cfg.toTree(), args, store, failRound, failWorker), resume, stopAfter);
    }

    static float[] params(DiLoCo.Result r) {
        return ModelLoader.entropyModel(r.lastCheckpoint()).params().data();
    }

    @Test
    void oneWorkerOneInnerStepGivesPlainTrainingsLosses() throws Exception {
        TrainConfig plain = config(tmp.resolve("plain"), 20);
        Trainer.Result t = new Trainer(ShardTasks.build(plain, 0, 1, m -> {}), plain, tmp.resolve("plain"), QUIET).run(null);
        DiLoCo.Result d = onSpark(config(tmp.resolve("n1h1"), 20), new DiLoCoArgs(1, 1, 1.0, 0.0), false, Long.MAX_VALUE, -1, -1);
        assertEquals(20, t.losses().size());
        assertEquals(20, d.losses().size());
        for (int i = 0; i < 20; i++) assertEquals(t.losses().get(i), d.losses().get(i), 1e-6, "step " + (i + 1));
        assertEquals(t.heldOutBpb(), d.heldOutBpb(), 1e-5);
    }

    @Test
    void aFailedTaskAndAKilledDriverChangeNothing() throws Exception {
        DiLoCoArgs args = new DiLoCoArgs(2, 3, 0.7, 0.9);
        DiLoCo.Result clean = onSpark(config(tmp.resolve("clean"), 12), args, false, Long.MAX_VALUE, -1, -1);
        assertEquals(4, clean.rounds());
        // worker 1's first attempt at round 1 fails after writing its state; Spark retries it
        DiLoCoWorker.clearCache();
        DiLoCo.Result retried = onSpark(config(tmp.resolve("retried"), 12), args, false, Long.MAX_VALUE, 1, 1);
        assertArrayEquals(params(clean), params(retried));
        assertEquals(clean.losses(), retried.losses());

        // killed: the driver stops after round 2's checkpoint, and round 3's tasks had already written their states
        // (from other parameters) when it died; the resumed run replays round 3 from round 2's states
        Path run = tmp.resolve("killed");
        TrainConfig cfg = config(run, 12);
        DiLoCo.Result first = onSpark(cfg, args, false, 2, -1, -1);
        assertEquals(2, first.rounds());
        RunStore store = HadoopRunStore.of(run.toString());
        new SparkRoundRunner(jsc, cfg.toTree(), args, store, -1, -1).run(2, new float[params(clean).length]);
        assertTrue(Files.exists(run.resolve("workers/w0/round-2.bin")));
        DiLoCoWorker.clearCache();
        DiLoCo.Result resumed = onSpark(cfg, args, true, Long.MAX_VALUE, -1, -1);
        assertEquals(4, resumed.rounds());
        assertArrayEquals(params(clean), params(resumed));
        assertEquals(clean.losses().subList(6, 12), resumed.losses());
        assertEquals(clean.heldOutBpb(), resumed.heldOutBpb());
    }
}
