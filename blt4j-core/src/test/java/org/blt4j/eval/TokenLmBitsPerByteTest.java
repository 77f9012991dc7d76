package org.blt4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.data.TokenIdStream;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.blt4j.token.Tokenizer;
import org.junit.jupiter.api.Test;

/**
 * The token LM's stream and bits per byte on a tiny random model against the definition worked out here from its
 * logits: Σ over every target except BOS of −log softmax(logits)[target] (in double), / ln 2, / the documents' bytes.
 */
class TokenLmBitsPerByteTest {
    private static final List<byte[]> DOCS = List.of(
            "the cat sat on the mat; the cat sat. ".repeat(4).getBytes(StandardCharsets.UTF_8),
            "ça va? \u00ff\u00fe".getBytes(StandardCharsets.UTF_8),
            new byte[] {(byte) 0xff, 't', 'h', 'e'});
    private static final Tokenizer TOK = BpeTokenizer.of(BpeTrainer.train(DOCS, 300));

    static EntropyModel tinyModel(int vocab, long seed) {
        LmArgs a = new LmArgs(16, 2, 2, 1, null, vocab, null, 16, null, null, null, null, null, null, null);
        EntropyModel m = new EntropyModel(a, ParamStore.allocate(EntropyModel.specs(a)));
        Random r = new Random(seed);
        float[] p = m.params().data();
        for (int i = 0; i < p.length; i++) p[i] = (float) (r.nextGaussian() * 0.5);
        return m;
    }

    @Test
    void streamIsBosTokensEosPerDocumentWithItsBytes() {
        TokenIdStream.Stream s = TokenIdStream.encode(DOCS, TOK);
        assertEquals(TOK.vocabSize() + 4, TokenIdStream.vocabSize(TOK));
        assertEquals(DOCS.stream().mapToLong(d -> d.length).sum(), s.bytes());
        assertEquals(s.bytes(), s.bytesOf(s.ids()));       // specials stand for no bytes
        int k = 0;
        for (byte[] d : DOCS) {
            assertEquals(ByteTokenizer.BOS_ID, s.ids()[k++]);
            int end = k;
            while (s.ids()[end] != ByteTokenizer.EOS_ID) end++;
            int[] toks = Arrays.stream(s.ids(), k, end).map(t -> t - TokenIdStream.OFFSET).toArray();
            assertArrayEquals(d, TOK.decode(toks));
            k = end + 1;
        }
        assertEquals(s.ids().length, k);
        assertTrue(k - 2 * DOCS.size() < s.bytes() / 2, "merges used: " + k + " ids for " + s.bytes() + " bytes");
    }

    @Test
    void bitsPerByteIsNatsOfEveryTargetButBosOverTheTextsBytes() {
        TokenIdStream.Stream s = TokenIdStream.encode(DOCS, TOK);
        EntropyModel m = tinyModel(TokenIdStream.vocabSize(TOK), 7);
        int V = m.args().vocabSize(), seqLen = 9, bos = 0;
        int[] ids = s.ids();
        double nats = 0;
        for (int from = 0; from < ids.length - 1; from += seqLen) {
            int to = Math.min(ids.length - 1, from + seqLen);
            float[] logits = m.forward(Arrays.copyOfRange(ids, from, to));
            for (int i = 0; i < to - from; i++) {
                int y = ids[from + i + 1];
                if (y == ByteTokenizer.BOS_ID) { bos++; continue; }
                double z = 0;
                for (int v = 0; v < V; v++) z += Math.exp(logits[i * V + v]);
                nats += Math.log(z) - logits[i * V + y];
            }
        }
        assertEquals(DOCS.size() - 1, bos);                 // the 2nd and 3rd BOS are targets, left out
        BitsPerByte.Eval e = BitsPerByte.tokenLm(m, s, seqLen, Long.MAX_VALUE);
        assertEquals(s.bytes(), e.bytes());
        assertEquals(nats / Math.log(2) / s.bytes(), e.bpb(), 1e-9);

        // maxBytes 1: the first row only, divided by its targets' bytes
        int[] y0 = Arrays.copyOfRange(ids, 1, seqLen + 1);
        BitsPerByte.Eval first = BitsPerByte.tokenLm(m, s, seqLen, 1);
        assertEquals(s.bytesOf(y0), first.bytes());
        assertTrue(first.bytes() < s.bytes());
    }

    @Test
    void vocabularyMismatchIsAnError() {
        TokenIdStream.Stream s = TokenIdStream.encode(DOCS, TOK);
        EntropyModel m = tinyModel(260, 1);
        var e = assertThrows(Blt4jException.class, () -> BitsPerByte.tokenLm(m, s, 8, Long.MAX_VALUE));
        assertTrue(e.getMessage().contains("vocab_size 260"), e.getMessage());
    }
}
