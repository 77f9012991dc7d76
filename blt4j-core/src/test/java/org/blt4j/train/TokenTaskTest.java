package org.blt4j.train;

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
import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.run.MetricsLog;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token LM trains by the shared Trainer: loss falls, held-out bits per byte over all bytes, exact resume. */
class TokenTaskTest {
    @TempDir
    static Path tmp;
    static Path data, ranks;

    @BeforeAll
    static void sample() throws Exception {
        byte[] all;
        try (var in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            all = in.readNBytes(60_000);
        }
        data = tmp.resolve("sample.txt");
        Files.write(data, all);
        ranks = tmp.resolve("ranks.tiktoken");
        BpeTrainer.train(List.of(all), 400).write(ranks);
    }

    static ObjectNode config(Path out, int steps, String extraArgs) throws Exception {
        return (ObjectNode) new ObjectMapper().readTree("""
                {"model": {"tokenizer": "%s",
                           "args": {"dim": 32, "n_layers": 1, "n_heads": 2, "multiple_of": 16, "max_seqlen": 64%s}},
                 "optim": {"lr": 0.01, "warmup": 2, "schedule": "cosine"},
                 "data": {"path": "%s", "seq_len": 24, "batch_size": 4},
                 "train": {"steps": %d, "checkpoint_every": 4, "keep": 2, "eval_every": 6, "eval_bytes": 1000,
                           "log_every": 1, "seed": 7, "out": "%s"}}
                """.formatted(ranks, extraArgs, data, steps, out));
    }

    static Trainer.Result train(ObjectNode tree, Path resume, long stopAfter) {
        TrainConfig cfg = TrainConfig.fromTree(tree.deepCopy(), List.of(), "test");
        TokenTask task = Training.tokenTask(cfg, Training.split(cfg));
        PrintStream quiet = new PrintStream(new ByteArrayOutputStream());
        return new Trainer(task, cfg, Path.of(cfg.train().out()), quiet).run(resume, stopAfter);
    }

    @Test
    void trainsAndResumesExactly() throws Exception {
        Path straightDir = tmp.resolve("straight");
        Trainer.Result straight = train(config(straightDir, 12, ""), null, Long.MAX_VALUE);
        assertEquals(12, straight.losses().size());
        assertTrue(straight.losses().get(11) < straight.losses().get(0) - 0.5, "loss should fall: " + straight.losses());
        assertTrue(straight.heldOutBpb() > 0 && straight.heldOutBpb() < 8, "held-out bpb " + straight.heldOutBpb());
        List<MetricsLog.Entry> m = MetricsLog.read(straightDir);
        assertEquals(straight.heldOutBpb(), m.getLast().get(MetricsLog.HELDOUT_BPB_ALL), 1e-12);
        assertEquals("tokenizer.tiktoken\nsha256 " + org.blt4j.io.Sha256.ofFile(ranks) + "\n", Files.readString(straightDir.resolve("tokenizer.txt")));
        assertEquals(Files.readString(ranks), Files.readString(straightDir.resolve("tokenizer.tiktoken")));

        Path run = tmp.resolve("resumed");
        Trainer.Result first = train(config(run, 12, ""), null, 5);
        assertEquals(5, first.steps());
        Trainer.Result second = train(config(run, 12, ""), run, Long.MAX_VALUE);
        assertEquals(12, second.steps());
        assertEquals(7, second.losses().size());
        for (int i = 0; i < 5; i++) assertEquals(straight.losses().get(i), first.losses().get(i), 1e-6, "step " + (i + 1));
        for (int i = 0; i < 7; i++)
            assertEquals(straight.losses().get(5 + i), second.losses().get(i), 1e-6, "step " + (6 + i) + " after resume");
        assertEquals(straight.heldOutBpb(), second.heldOutBpb(), 1e-9);
    }

    @Test
    void heldOutBytesAreTheSplitsBytesAndVocabFollowsTheTokenizer() throws Exception {
        TrainConfig cfg = TrainConfig.fromTree(config(tmp.resolve("v"), 1, ""), List.of(), "test");
        var s = Training.split(cfg);
        TokenTask task = Training.tokenTask(cfg, s);
        assertEquals(400 + TokenIdStream.OFFSET, task.args().vocabSize());
        BitsPerByte.Eval e = task.evalHeldOut(Long.MAX_VALUE);
        assertEquals(s.heldOutBytes(), e.bytes());    // scored on the same bytes as the byte LM

        var bad = assertThrows(Blt4jException.class, () -> Training.tokenTask(
                TrainConfig.fromTree(config(tmp.resolve("w"), 1, ", \"vocab_size\": 260"), List.of(), "test"), s));
        assertTrue(bad.getMessage().contains("vocab_size 260 does not match"), bad.getMessage());
        ObjectNode none = config(tmp.resolve("x"), 1, "");
        ((ObjectNode) none.get("model")).remove("tokenizer");
        var missing = assertThrows(Blt4jException.class, () -> Training.tokenTask(TrainConfig.fromTree(none, List.of(), "test"), s));
        assertTrue(missing.getMessage().contains("model.tokenizer is missing"), missing.getMessage());
        assertEquals(BpeTokenizer.named(ranks.toString()).vocabSize(), 400);
    }

    /**
     * The run keeps the tokenizer it trained with: a resume whose model.tokenizer file was edited is refused before the
     * run's copy is touched (it was overwritten, then the resume refused, and eval took the new file without a word);
     * a relative model.tokenizer that does not resolve from here takes the run's copy; eval refuses a ranks file that
     * is not the recorded one, even of the same size.
     */
    @Test
    void theRunKeepsItsTokenizer() throws Exception {
        Path run = tmp.resolve("kept"), edited = tmp.resolve("edited.tiktoken");
        Files.copy(ranks, edited);
        ObjectNode tree = config(run, 4, "");
        ((ObjectNode) tree.get("model")).put("tokenizer", edited.toString());
        train(tree, null, Long.MAX_VALUE);
        byte[] kept = Files.readAllBytes(run.resolve("tokenizer.tiktoken"));
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(edited));   // the same tokens, two ranks swapped
        String a = lines.get(300).split(" ")[0], b = lines.get(301).split(" ")[0];
        lines.set(300, b + " 300");
        lines.set(301, a + " 301");
        Files.write(edited, lines);
        var e = assertThrows(Blt4jException.class, () -> train(tree, run, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("keeps another tokenizer"), e.getMessage());
        assertTrue(java.util.Arrays.equals(kept, Files.readAllBytes(run.resolve("tokenizer.tiktoken"))), "the run's copy is untouched");

        // a new run with a bundled encoding into the folder: refused before anything is written (tokenizer.txt was
        // rewritten to cl100k_base, and the run's eval broke)
        String txt = Files.readString(run.resolve("tokenizer.txt"));
        ObjectNode cl = tree.deepCopy();
        ((ObjectNode) cl.get("model")).put("tokenizer", "cl100k_base");
        var other = assertThrows(Blt4jException.class, () -> train(cl, null, Long.MAX_VALUE));
        assertTrue(other.getMessage().contains("keeps another tokenizer (tokenizer.tiktoken)"), other.getMessage());
        assertEquals(txt, Files.readString(run.resolve("tokenizer.txt")));

        Files.write(run.resolve("tokenizer.tiktoken"), lines);   // same size, another tokenizer: eval refuses it
        var ev = assertThrows(Blt4jException.class, () -> org.blt4j.eval.LanguageModels.load(run, null));
        assertTrue(ev.getMessage().contains("is not the tokenizer this token LM was trained with"), ev.getMessage());
        Files.write(run.resolve("tokenizer.tiktoken"), kept);
        org.blt4j.eval.LanguageModels.load(run, null);

        ((ObjectNode) tree.get("model")).put("tokenizer", "no-such-dir/edited.tiktoken");   // resumed from elsewhere
        assertEquals(4, train(tree, run, Long.MAX_VALUE).steps());
    }

    @Test
    void tokenizerTrainedOnTheTrainingSplitIsKeptInTheRunFolder() throws Exception {
        Path out = tmp.resolve("trained");
        ObjectNode tree = config(out, 1, "");
        ((ObjectNode) tree.get("model")).set("tokenizer", new ObjectMapper().readTree("{\"train\": 300}"));
        TrainConfig cfg = TrainConfig.fromTree(tree, List.of(), "test");
        var split = Training.split(cfg);
        TokenTask task = Training.tokenTask(cfg, split);
        assertEquals(300 + TokenIdStream.OFFSET, task.args().vocabSize());
        assertTrue(!Files.exists(out.resolve("tokenizer.txt")), "nothing written before the Trainer claims the folder");
        task.install(out);
        assertTrue(Files.readString(out.resolve("tokenizer.txt")).startsWith("tokenizer.tiktoken\nsha256 "));
        Path expected = tmp.resolve("expected.tiktoken");
        BpeTrainer.train(split.train(), 300).write(expected);
        assertEquals(Files.readString(expected), Files.readString(out.resolve("tokenizer.tiktoken")));

        ((ObjectNode) tree.get("model")).set("tokenizer", new ObjectMapper().readTree("{\"train\": \"many\"}"));
        var bad = assertThrows(Blt4jException.class, () -> Training.tokenTask(TrainConfig.fromTree(tree, List.of(), "test"), split));
        assertTrue(bad.getMessage().startsWith("config: model.tokenizer must be"), bad.getMessage());
    }
}
