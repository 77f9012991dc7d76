package org.blt4j.train;

import org.blt4j.run.MetricsLog;
import org.blt4j.run.TrainCheckpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.blt4j.golden.GoldenCases;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: training lowers the loss, resume continues exactly, a BLT trains on entropy patches. */
class TrainerTest {
    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void sample() throws Exception {
        byte[] all;
        try (var in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            all = in.readNBytes(120_000);
        }
        data = tmp.resolve("sample.txt");
        Files.write(data, all);
    }

    static ObjectNode entropyConfig(Path out, int steps) throws Exception {
        return (ObjectNode) new ObjectMapper().readTree("""
                {"model": {"args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16, "sliding_window": 32,
                                    "max_seqlen": 64}},
                 "optim": {"lr": 0.01, "warmup": 2, "schedule": "cosine"},
                 "data": {"path": "%s", "seq_len": 48, "batch_size": 4},
                 "train": {"steps": %d, "checkpoint_every": 5, "keep": 2, "eval_every": 10, "eval_bytes": 2000,
                           "log_every": 1, "seed": 7, "out": "%s"}}
                """.formatted(data, steps, out));
    }

    static Trainer.Result train(ObjectNode tree, Path resume, long stopAfter) {
        TrainConfig cfg = TrainConfig.fromTree(tree.deepCopy(), List.of(), "test");
        Training.Streams s = Training.streams(cfg);
        TrainTask task = Training.entropyTask(cfg, s);
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return new Trainer(task, cfg, Path.of(cfg.train().out()), quiet).run(resume, stopAfter);
    }

    @Test
    void aNewRunIsRefusedInAFolderHoldingARunOrInUse() throws Exception {
        Path run = tmp.resolve("kept");
        train(entropyConfig(run, 5), null, Long.MAX_VALUE);
        byte[] weights = Files.readAllBytes(run.resolve("step-000005/model.safetensors"));
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class,
                () -> train(entropyConfig(run, 3), null, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("already holds a run") && e.getMessage().contains("--resume"), e.getMessage());
        org.junit.jupiter.api.Assertions.assertArrayEquals(weights, Files.readAllBytes(run.resolve("step-000005/model.safetensors")));
        assertEquals(5, MetricsLog.read(run).size(), "the old run's metrics are untouched");
        // a second process (here: a held lock) training in the same folder is refused
        Path busy = tmp.resolve("busy");
        try (var held = org.blt4j.run.RunFiles.lock(busy)) {
            e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class,
                    () -> train(entropyConfig(busy, 3), null, Long.MAX_VALUE));
            assertTrue(e.getMessage().contains("in use by another training run"), e.getMessage());
        }
        assertEquals(3, train(entropyConfig(busy, 3), null, Long.MAX_VALUE).steps(), "free again once released");
    }

    /** Found by a hostile probe: checkpoints and metrics a run never made its own are not pruned, appended to or cut. */
    @Test
    void checkpointsAndMetricsAreNotLostToANewRunOrAnEmptyResume() throws Exception {
        Path run = tmp.resolve("older");
        train(entropyConfig(run, 10), null, Long.MAX_VALUE);                       // step-000005, step-000010
        byte[] weights = Files.readAllBytes(run.resolve("step-000010/model.safetensors"));
        // a resume from step 5 that has nothing to train (steps 5) saves nothing, prunes nothing, cuts no metric
        assertEquals(5, train(entropyConfig(run, 5), run.resolve("step-000005"), Long.MAX_VALUE).steps());
        org.junit.jupiter.api.Assertions.assertArrayEquals(weights, Files.readAllBytes(run.resolve("step-000010/model.safetensors")));
        assertEquals(10, MetricsLog.read(run).size());
        // without its latest file the folder still holds checkpoints: a new run is refused, not pruning them
        Files.delete(run.resolve(TrainCheckpoint.LATEST));
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class,
                () -> train(entropyConfig(run, 3), null, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("holds checkpoints") && e.getMessage().contains("--resume"), e.getMessage());
        assertTrue(Files.isDirectory(run.resolve("step-000005")) && Files.isDirectory(run.resolve("step-000010")));
        // a run killed before its first checkpoint left metrics: the next new run starts them afresh
        Path early = Files.createDirectories(tmp.resolve("early"));
        Files.copy(run.resolve(MetricsLog.FILE), early.resolve(MetricsLog.FILE));
        train(entropyConfig(early, 3), null, Long.MAX_VALUE);
        assertEquals(List.of(1L, 2L, 3L), MetricsLog.read(early).stream().map(MetricsLog.Entry::step).toList());
    }

    /** Found by a hostile probe: new text behind the same data.path was trained on as if the run went on. */
    @Test
    void aResumeOnChangedDataIsRefused() throws Exception {
        Path mine = tmp.resolve("mine.txt");
        Files.copy(data, mine);
        Path run = tmp.resolve("changed");
        ObjectNode cfg = entropyConfig(run, 10);
        ((ObjectNode) cfg.get("data")).put("path", mine.toString());
        train(cfg, null, 5);
        String text = Files.readString(mine);
        Files.writeString(mine, text.substring(0, text.length() / 2) + text.substring(0, text.length() / 2).toUpperCase());
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class, () -> train(cfg, run, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("the training data differ from what this run was trained on"), e.getMessage());
        Files.writeString(mine, text);                                      // the same text again: it goes on
        assertEquals(10, train(cfg, run, Long.MAX_VALUE).steps());
    }

    @Test
    void resumeContinuesExactly() throws Exception {
        Trainer.Result straight = train(entropyConfig(tmp.resolve("straight"), 20), null, Long.MAX_VALUE);
        assertEquals(20, straight.losses().size());
        Path run = tmp.resolve("resumed");
        Trainer.Result first = train(entropyConfig(run, 20), null, 10);
        assertEquals(10, first.steps());
        Trainer.Result second = train(entropyConfig(run, 20), run, Long.MAX_VALUE);
        assertEquals(20, second.steps());
        assertEquals(10, second.losses().size());
        for (int i = 0; i < 10; i++) {
            assertEquals(straight.losses().get(i), first.losses().get(i), 1e-6, "step " + (i + 1));
            assertEquals(straight.losses().get(10 + i), second.losses().get(i), 1e-6, "step " + (11 + i) + " after resume");
        }
        assertTrue(straight.losses().get(19) < straight.losses().get(0) - 1.0, "loss should fall: " + straight.losses());
        List<MetricsLog.Entry> metrics = MetricsLog.read(run);
        assertEquals(20, metrics.size(), "metrics.jsonl holds each step once after a resume");
        assertTrue(Files.exists(run.resolve("bpb.svg")));
    }

    @Test
    void bltTrainsOnEntropyPatches() throws Exception {
        Path em = GoldenCases.ofKind("entropy_model_forward").getFirst().dir();
        ObjectNode tree = (ObjectNode) new ObjectMapper().readTree("""
                {"model": {"args": {"dim_global": 32, "dim_local_encoder": 16, "dim_local_decoder": 16,
                   "n_heads_global": 2, "n_heads_local_encoder": 2, "n_heads_local_decoder": 2,
                   "n_layers_global": 1, "n_layers_local_encoder": 1, "n_layers_local_decoder": 1,
                   "cross_attn_encoder": true, "cross_attn_decoder": true, "cross_attn_init_by_pooling": true,
                   "cross_attn_k": 2, "cross_attn_nheads": 2, "cross_attn_all_layers_decoder": true,
                   "encoder_hash_byte_group_size": [3, 4], "encoder_hash_byte_group_vocab": 500,
                   "local_attention_window_len": 32, "multiple_of": 16, "rope_theta": 500000.0,
                   "patching_mode": "entropy", "patching_threshold": 1.8}},
                 "optim": {"lr": 0.01, "warmup": 2},
                 "data": {"path": "%s", "seq_len": 64, "batch_size": 4, "entropy_model": "%s", "max_patches": 24},
                 "train": {"steps": 12, "checkpoint_every": 6, "eval_every": 12, "eval_bytes": 2000, "seed": 3,
                           "out": "%s"}}
                """.formatted(data, em, tmp.resolve("blt")));
        TrainConfig cfg = TrainConfig.fromTree(tree, List.of(), "test");
        Training.Streams s = Training.streams(cfg);
        BltTask task = Training.bltTask(cfg, s, m -> {});
        Trainer.Result r = new Trainer(task, cfg, tmp.resolve("blt"), new PrintStream(new ByteArrayOutputStream())).run(null);
        assertTrue(r.losses().get(11) < r.losses().get(0) - 0.5, "loss should fall: " + r.losses());
        assertTrue(r.avgPatchLength() > 1.0, "entropy patches longer than a byte on average: " + r.avgPatchLength());
        assertTrue(Files.exists(tmp.resolve("blt").resolve("step-000012").resolve("model.safetensors")));
        // the run remembers its entropy model: eval, generate and Blt.load find it without being told
        assertEquals(em, org.blt4j.generate.LoadedModels.entropyModelFor(tmp.resolve("blt")));
        assertEquals(em, org.blt4j.generate.LoadedModels.entropyModelFor(tmp.resolve("blt").resolve("step-000012")));
    }
}
