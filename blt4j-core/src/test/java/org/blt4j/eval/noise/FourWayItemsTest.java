package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.junit.jupiter.api.Test;

class FourWayItemsTest {
    /** Documents of numbered sentences of random lengths ("Sentence 12 of 3 says xxxx."), joined by one space. */
    private static List<byte[]> corpus(int docs, int sentencesPerDoc, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<byte[]> out = new ArrayList<>();
        int id = 0;
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < sentencesPerDoc; s++) {
                if (s > 0) sb.append(' ');
                sb.append("Sentence ").append(id++).append(" of ").append(d).append(" says ")
                        .append("é".repeat(r.nextInt(40))).append("x".repeat(r.nextInt(120))).append('.');
            }
            out.add(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String joined(List<byte[]> docs) {
        StringBuilder sb = new StringBuilder();
        for (byte[] d : docs) sb.append(new String(d, StandardCharsets.UTF_8)).append('\n');
        return sb.toString();
    }

    /** Every item follows the documented rules; returns how often each answer position came up. */
    private static int[] checkItems(List<byte[]> docs, List<FourWayItem> items) {
        String all = joined(docs);
        int[] answers = new int[4];
        for (FourWayItem it : items) {
            String truth = it.candidates().get(it.answer());
            int tb = bytes(truth);
            assertTrue(bytes(it.context()) <= FourWayItems.MAX_CONTEXT_BYTES, "context over 256 bytes");
            List<Sentences.Span> ctx = Sentences.split(it.context());
            assertFalse(ctx.isEmpty());
            assertEquals(it.context().length(), ctx.get(ctx.size() - 1).end(), "the context ends at a sentence end");
            assertEquals(0, ctx.get(0).start(), "the context starts at a sentence start");
            int at = all.indexOf(it.context());
            assertTrue(at >= 0, "the context is in the text");
            int next = at + it.context().length();
            while (Character.isWhitespace(all.charAt(next)) && all.charAt(next) != '\n') next++;
            assertTrue(next > at + it.context().length() && all.startsWith(truth, next), "the true sentence follows the context");
            int after = next + truth.length();
            while (after < all.length() && all.charAt(after) == ' ') after++;
            assertTrue(tb >= FourWayItems.MIN_SENTENCE_BYTES && tb <= FourWayItems.MAX_SENTENCE_BYTES);
            assertEquals(4, new HashSet<>(it.candidates()).size(), "candidates are distinct");
            for (int k = 0; k < 4; k++) {
                String c = it.candidates().get(k);
                assertTrue(Math.abs(bytes(c) - tb) <= FourWayItems.LENGTH_TOLERANCE * tb + 1e-9,
                        "distractor of " + bytes(c) + " bytes for a sentence of " + tb);
                if (k != it.answer()) {
                    assertFalse(it.context().contains(c), "a distractor from the context");
                    assertFalse(all.startsWith(c, after), "the sentence after the truth");
                }
            }
            answers[it.answer()]++;
        }
        return answers;
    }

    @Test
    void itemsFollowTheRulesAndAnswerPositionsAreShuffled() {
        List<byte[]> docs = corpus(40, 30, 1);
        List<FourWayItem> items = FourWayItems.build(docs, 800, 7);
        assertEquals(800, items.size());
        int[] answers = checkItems(docs, items);
        for (int a : answers) assertTrue(Math.abs(a - 200) < 60, "answer positions " + java.util.Arrays.toString(answers));
        assertEquals(800, new HashSet<>(items.stream().map(i -> i.candidates().get(i.answer())).toList()).size(),
                "each item at its own sentence");
    }

    @Test
    void aSeedFixesTheItemsAndFewerItemsAreAPrefix() {
        List<byte[]> docs = corpus(20, 30, 2);
        List<FourWayItem> a = FourWayItems.build(docs, 300, 11);
        assertEquals(a, FourWayItems.build(docs, 300, 11));
        assertEquals(a.subList(0, 100), FourWayItems.build(docs, 100, 11));
        assertNotEquals(a, FourWayItems.build(docs, 300, 12));
    }

    @Test
    void tooSmallATextSaysHowManyItemsItCanGiveInOneLine() {
        List<byte[]> docs = corpus(2, 6, 3);
        int can = FourWayItems.available(docs);
        assertTrue(can > 0 && can <= 10, "available " + can);
        assertEquals(can, FourWayItems.build(docs, can, 1).size());
        Blt4jException e = assertThrows(Blt4jException.class, () -> FourWayItems.build(docs, 500, 1));
        assertTrue(e.getMessage().contains("gives only " + can + " four-way items, 500 asked"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        Blt4jException empty = assertThrows(Blt4jException.class, () -> FourWayItems.build(List.of(), 500, 1));
        assertTrue(empty.getMessage().contains("(0 bytes, 0 sentences) gives only 0"), empty.getMessage());
        assertThrows(Blt4jException.class, () -> FourWayItems.build(docs, 0, 1));
    }

    @Test
    void noDistractorsOfSimilarLengthNoItem() {
        // one long document: every sentence's neighbours are the only ones of its length band, and all are excluded
        String doc = "Short one here is fine. " + "A".repeat(60) + " long sentence indeed. Tiny end sentence ok.";
        assertEquals(0, FourWayItems.available(List.of(doc.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void theBundledCorpusHeldOutTextGivesAtLeast500Items() {
        List<byte[]> docs = Corpus.read(Path.of("..", "data", "sotu.txt.gz"));
        List<byte[]> heldOut = DataSplit.split(docs, 0.1).heldOut();
        int can = FourWayItems.available(heldOut);
        System.out.println("sotu.txt.gz, last 10%: " + can + " four-way items available");
        assertTrue(can >= 500, "only " + can);
        List<FourWayItem> items = FourWayItems.build(heldOut, 500, 2024);
        checkItems(heldOut, items);
    }

    @Test
    void noiseGoesWhereItIsAsked() {
        FourWayItem it = new FourWayItem("Context here.", List.of("a one.", "b two.", "c three.", "d four."), 2);
        FourWayItem c = it.noised(Noise.UPPER_CASE, NoiseWhere.CONTEXT, null);
        assertEquals("CONTEXT HERE.", c.context());
        assertEquals(it.candidates(), c.candidates());
        FourWayItem d = it.noised(Noise.UPPER_CASE, NoiseWhere.CANDIDATES, null);
        assertEquals(it.context(), d.context());
        assertEquals(List.of("A ONE.", "B TWO.", "C THREE.", "D FOUR."), d.candidates());
        FourWayItem b = it.noised(Noise.ANT_SPEAK, NoiseWhere.BOTH, null);
        assertEquals("C O N T E X T   H E R E .", b.context());
        assertEquals("A   O N E .", b.candidates().get(0));
        assertEquals(2, b.answer());
        assertEquals(" A   O N E .", new String(b.continuation(0), StandardCharsets.UTF_8), "the separator stays clean");
        List<FourWayItem> many = FourWayItems.build(corpus(10, 30, 4), 100, 5);
        List<FourWayItem> noisy = FourWayItems.noised(many, Noise.REPEAT, NoiseWhere.BOTH, 9);
        assertEquals(noisy, FourWayItems.noised(many, Noise.REPEAT, NoiseWhere.BOTH, 9));
        assertEquals(noisy.subList(0, 10), FourWayItems.noised(many.subList(0, 10), Noise.REPEAT, NoiseWhere.BOTH, 9));
        assertNotEquals(noisy, FourWayItems.noised(many, Noise.REPEAT, NoiseWhere.BOTH, 10));
        for (int i = 0; i < many.size(); i++) {
            assertEquals(many.get(i).answer(), noisy.get(i).answer());
            assertTrue(bytes(noisy.get(i).context()) >= bytes(many.get(i).context()));
        }
        FourWayItem r1 = it.noised(Noise.DROP, NoiseWhere.BOTH, new SplittableRandom(3));
        assertEquals(r1, it.noised(Noise.DROP, NoiseWhere.BOTH, new SplittableRandom(3)));
    }
}
