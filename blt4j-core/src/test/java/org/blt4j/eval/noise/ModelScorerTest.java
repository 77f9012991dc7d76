package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.LanguageModel;
import org.blt4j.eval.LanguageModels;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
import org.blt4j.patch.Patcher;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.junit.jupiter.api.Test;

/** Scores against a hand computation from each model's forward logits; the batch path against the single one. */
class ModelScorerTest {
    static final byte[] CTX = "The cat sat on the mat. It was warm".getBytes(StandardCharsets.UTF_8);
    static final byte[] CONT = " and the cat slept, ça va.".getBytes(StandardCharsets.UTF_8);
    static final BpeTokenizer TOK = BpeTokenizer.of(BpeTrainer.train(
            List.of("the cat sat on the mat; the cat slept. it was warm and the mat was warm. ".repeat(6)
                    .getBytes(StandardCharsets.UTF_8)), 300));

    static EntropyModel tinyLm(int vocab, int maxSeqlen, long seed) {
        LmArgs a = new LmArgs(16, 2, 2, 1, null, vocab, null, 16, null, null, null, maxSeqlen, null, null, null);
        EntropyModel m = new EntropyModel(a, ParamStore.allocate(EntropyModel.specs(a)));
        Random r = new Random(seed);
        float[] p = m.params().data();
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return m;
    }

    static LanguageModel.Blt goldenBlt() {
        Path g = GoldenCases.root();
        return (LanguageModel.Blt) LanguageModels.load(g.resolve("blt_base"), g.resolve("entropy_model_forward"));
    }

    /** Σ log softmax(logits_i)[ids[i+1]] for i + 1 in [from, ids.length), from logits of ids without the last. */
    static double hand(float[] logits, int[] ids, int from, int V) {
        double s = 0;
        for (int t = from; t < ids.length; t++) {
            int o = (t - 1) * V;
            double z = 0;
            for (int v = 0; v < V; v++) z += Math.exp(logits[o + v]);
            s += logits[o + ids[t]] - Math.log(z);
        }
        return s;
    }

    static int[] bosBytes(byte[]... parts) {
        List<Integer> ids = new ArrayList<>(List.of(ByteTokenizer.BOS_ID));
        for (byte[] p : parts) for (byte b : p) ids.add(ByteTokenizer.idOf(b));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void byteLmSumsTheContinuationsLogProbs() {
        EntropyModel m = tinyLm(ByteTokenizer.VOCAB_SIZE, 1024, 1);
        int[] ids = bosBytes(CTX, CONT);
        double want = hand(m.forward(Arrays.copyOf(ids, ids.length - 1)), ids, 1 + CTX.length, ByteTokenizer.VOCAB_SIZE);
        ContinuationScorer.Score s = ModelScorer.of(new LanguageModel.Bytes(m)).score(CTX, CONT);
        assertEquals(CONT.length, s.bytes());
        assertEquals(want, s.logLikelihood(), 1e-9 * Math.abs(want));
        assertTrue(want < 0);
    }

    @Test
    void tokenLmEncodesContextAndContinuationApartAndDividesByBytes() {
        EntropyModel m = tinyLm(TokenIdStream.vocabSize(TOK), 1024, 2);
        int[] c = TOK.encode(CTX), k = TOK.encode(CONT);
        int[] ids = new int[1 + c.length + k.length];
        ids[0] = ByteTokenizer.BOS_ID;
        for (int i = 0; i < c.length; i++) ids[1 + i] = c[i] + TokenIdStream.OFFSET;
        for (int i = 0; i < k.length; i++) ids[1 + c.length + i] = k[i] + TokenIdStream.OFFSET;
        int V = m.args().vocabSize();
        double want = hand(m.forward(Arrays.copyOf(ids, ids.length - 1)), ids, 1 + c.length, V);
        ContinuationScorer.Score s = ModelScorer.of(new LanguageModel.Tokens(m, TOK)).score(CTX, CONT);
        assertTrue(k.length < CONT.length, "merges used: " + k.length + " tokens");
        assertEquals(CONT.length, s.bytes());
        assertEquals(want, s.logLikelihood(), 1e-9 * Math.abs(want));
        assertEquals(want / CONT.length, s.perByte(), 1e-9 * Math.abs(want));
        assertNotEquals(want / k.length, s.perByte(), 1e-6);
    }

    @Test
    void bltPatchesWithItsEntropyModelAndSums() {
        LanguageModel.Blt m = goldenBlt();
        int[] ids = bosBytes(CTX, CONT);
        int[] x = Arrays.copyOf(ids, ids.length - 1);
        Patcher p = m.model().args().patcherArgs().build();
        float[] logits = m.model().forward(x, p.patchLengths(x, m.entropyModel().entropies(x), false));
        double want = hand(logits, ids, 1 + CTX.length, m.model().args().vocabSize());
        ContinuationScorer.Score s = ModelScorer.of(m).score(CTX, CONT);
        assertEquals(want, s.logLikelihood(), 1e-9 * Math.abs(want));
    }

    @Test
    void staticPatchesStartWithTheBosAlone() {
        LanguageModel.Blt golden = goldenBlt();
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) org.blt4j.io.Json.MAPPER.valueToTree(golden.model().args());
        tree.put("patching_mode", "static");
        tree.put("patch_size", 4.0);
        tree.remove("patching_threshold");
        var args = org.blt4j.io.Json.MAPPER.convertValue(tree, org.blt4j.model.BltArgs.class);
        var model = new org.blt4j.model.ByteLatentTransformer(args, golden.model().params(), golden.model().hashTables());
        LanguageModel.Blt m = new LanguageModel.Blt(model, golden.entropyModel());
        int[] ids = bosBytes(CTX, CONT);
        int[] x = Arrays.copyOf(ids, ids.length - 1);
        int[] lengths = args.patcherArgs().build().patchLengths(x, null, false);
        assertEquals(4, lengths[0], "static patches put the BOS with the first 3 bytes");
        int[] shifted = ModelScorer.bosAlone(lengths);
        assertEquals(1, shifted[0]);
        assertEquals(3, shifted[1]);
        assertEquals(Arrays.stream(lengths).sum(), Arrays.stream(shifted).sum());
        float[] logits = model.forward(x, shifted);
        double want = hand(logits, ids, 1 + CTX.length, args.vocabSize());
        assertEquals(want, ModelScorer.of(m).score(CTX, CONT).logLikelihood(), 1e-9 * Math.abs(want));
    }

    @Test
    void tooLongInputDropsTheStartOfTheContext() {
        LanguageModel.Blt blt = goldenBlt();
        int C = blt.context();
        assertEquals(1024, C);
        byte[] longCtx = "A long context that goes on and on. ".repeat(100).getBytes(StandardCharsets.UTF_8);
        byte[] kept = Arrays.copyOfRange(longCtx, longCtx.length - (C - CONT.length), longCtx.length);
        double cut = ModelScorer.score(blt, longCtx, CONT).logLikelihood();
        assertEquals(ModelScorer.score(blt, kept, CONT).logLikelihood(), cut);
        assertTrue(Double.isFinite(cut) && cut < 0);

        EntropyModel small = tinyLm(ByteTokenizer.VOCAB_SIZE, 16, 3);
        LanguageModel.Bytes b = new LanguageModel.Bytes(small);
        byte[] tail = Arrays.copyOfRange(CTX, CTX.length - (16 - 5), CTX.length);
        byte[] five = Arrays.copyOf(CONT, 5);
        assertEquals(ModelScorer.score(b, tail, five).logLikelihood(), ModelScorer.score(b, CTX, five).logLikelihood());
    }

    @Test
    void aContinuationLongerThanTheContextIsScoredInPiecesAfterTheIdsBeforeThem() {
        EntropyModel m = tinyLm(ByteTokenizer.VOCAB_SIZE, 8, 4);
        int V = ByteTokenizer.VOCAB_SIZE;
        int[] ids = bosBytes(CTX, CONT);                 // seq = ids[1..]; continuation = seq[CTX.length ..)
        int[] seq = Arrays.copyOfRange(ids, 1, ids.length);
        double want = 0;
        for (int t = CTX.length; t < seq.length; t++) {  // pieces of 4 targets, each window [b - 8, b)
            int b = Math.min(seq.length, t + 4), a = b - 8;
            int[] x = new int[8];
            x[0] = ByteTokenizer.BOS_ID;
            System.arraycopy(seq, a, x, 1, 7);
            float[] lg = m.forward(x);
            for (; t < b; t++) want += ModelScorer.logProb(lg, (t - a) * V, V, seq[t]);
            t--;
        }
        double got = ModelScorer.score(new LanguageModel.Bytes(m), CTX, CONT).logLikelihood();
        assertEquals(want, got, 1e-12 * Math.abs(want));
        assertThrows(Blt4jException.class, () -> ModelScorer.score(new LanguageModel.Bytes(m), CTX, new byte[0]));
    }

    @Test
    void perByteEqualsTheSingleScorerForEveryKind() {
        List<FourWayItem> items = new ArrayList<>();
        for (int i = 0; i < 5; i++)
            items.add(new FourWayItem("Context number " + i + ". The cat sat.", List.of("It slept on the mat.",
                    "Then " + i + " dogs came.", "ça va bien, merci.", "A much longer candidate sentence " + i + "."), i % 4));
        List<LanguageModel> models = List.of(new LanguageModel.Bytes(tinyLm(ByteTokenizer.VOCAB_SIZE, 32, 5)),
                new LanguageModel.Tokens(tinyLm(TokenIdStream.vocabSize(TOK), 1024, 6), TOK), goldenBlt());
        for (LanguageModel m : models) {
            double[][] got = ModelScorer.perByte(m, items);
            ContinuationScorer one = ModelScorer.of(m);
            for (int i = 0; i < items.size(); i++)
                for (int k = 0; k < 4; k++)
                    assertEquals(one.score(items.get(i).contextBytes(), items.get(i).continuation(k)).perByte(), got[i][k],
                            m.getClass().getSimpleName() + " item " + i + " candidate " + k);
        }
    }
}
