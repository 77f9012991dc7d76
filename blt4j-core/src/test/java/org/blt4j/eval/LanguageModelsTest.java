package org.blt4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.data.TokenIdStream;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.TensorData;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
import org.blt4j.token.BpeTrainer;
import org.blt4j.token.TiktokenRanks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kind of model is read from the checkpoint and its run folder. */
class LanguageModelsTest {
    @TempDir
    Path tmp;

    static final Path GOLDEN = GoldenCases.root();

    /** A token LM's run folder as train-token leaves it: tokenizer.txt, tokenizer.tiktoken, latest, step-000001/. */
    static Path tokenRun(Path run) throws Exception {
        TiktokenRanks ranks = BpeTrainer.train(List.of("the cat sat on the mat. ".repeat(20).getBytes(StandardCharsets.UTF_8)), 280);
        Files.createDirectories(run);
        ranks.write(run.resolve("tokenizer.tiktoken"));
        Files.writeString(run.resolve("tokenizer.txt"), "tokenizer.tiktoken\n");
        int V = ranks.size() + TokenIdStream.OFFSET;
        Map<String, Object> args = Map.of("dim", 16, "n_layers", 1, "n_heads", 2, "vocab_size", V, "multiple_of", 16, "max_seqlen", 64);
        LmArgs a = new LmArgs(16, 1, 2, null, null, V, null, 16, null, null, null, 64, null, null, null);
        ParamStore p = ParamStore.allocate(EntropyModel.specs(a));
        Map<String, TensorData> w = new LinkedHashMap<>();
        for (ParamStore.Param q : p.params()) {
            int n = Arrays.stream(q.shape()).reduce(1, (x, y) -> x * y);
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = (float) Math.sin(i + q.offset());
            w.put(q.name(), TensorData.of(f, Arrays.stream(q.shape()).asLongStream().toArray()));
        }
        Path step = run.resolve("step-000001");
        Checkpoint.write(step, args, w, DType.F32);
        Files.writeString(step.resolve("state.json"), "{}");
        Files.writeString(run.resolve("latest"), "step-000001\n");
        return run;
    }

    @Test
    void theKindComesFromTheCheckpoint() throws Exception {
        assertInstanceOf(LanguageModel.Bytes.class, LanguageModels.load(GOLDEN.resolve("entropy_model_forward"), null));
        LanguageModel blt = LanguageModels.load(GOLDEN.resolve("blt_base"), GOLDEN.resolve("entropy_model_forward"));
        assertInstanceOf(LanguageModel.Blt.class, blt);
        assertEquals(1024, blt.context());
        Path run = tokenRun(tmp.resolve("run"));
        for (Path p : List.of(run, run.resolve("step-000001"))) {
            LanguageModel.Tokens t = assertInstanceOf(LanguageModel.Tokens.class, LanguageModels.load(p, null));
            assertEquals(t.model().args().vocabSize() - TokenIdStream.OFFSET, t.tokenizer().vocabSize());
            assertTrue(t.tokenizer().vocabSize() > 256, "merges learned: " + t.tokenizer());
            assertEquals(64, t.context());
        }
    }

    @Test
    void badInputsSayWhatToPass() throws Exception {
        Blt4jException e = assertThrows(Blt4jException.class, () -> LanguageModels.load(GOLDEN.resolve("blt_base"), null));
        assertTrue(e.getMessage().contains("--entropy-model"), e.getMessage());
        Path run = tokenRun(tmp.resolve("run"));
        Files.delete(run.resolve("tokenizer.tiktoken"));
        e = assertThrows(Blt4jException.class, () -> LanguageModels.load(run, null));
        assertTrue(e.getMessage().contains("tokenizer.tiktoken") && e.getMessage().contains("missing"), e.getMessage());
        Path stepAlone = Files.move(run.resolve("step-000001"), tmp.resolve("step-000001"));
        e = assertThrows(Blt4jException.class, () -> LanguageModels.load(stepAlone, null));
        assertTrue(e.getMessage().contains("is not a byte LM's 260") && e.getMessage().contains("run folder"), e.getMessage());
        Files.move(stepAlone, run.resolve("step-000001"));
        Files.writeString(run.resolve("tokenizer.txt"), "cl100k_base\n");
        e = assertThrows(Blt4jException.class, () -> LanguageModels.load(run, null));
        assertTrue(e.getMessage().contains("vocab_size"), e.getMessage());
    }
}
