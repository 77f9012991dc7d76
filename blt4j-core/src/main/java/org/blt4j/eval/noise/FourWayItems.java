package org.blt4j.eval.noise;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.blt4j.Blt4jException;

/**
 * Builds HellaSwag-like four-way items from held-out text (issue 9's robustness evaluation).
 *
 * <p>Documents are cut into sentences by {@link Sentences}. An item is made at a sentence s (the true next sentence)
 * that is not its document's first one and whose UTF-8 length is in [{@link #MIN_SENTENCE_BYTES},
 * {@link #MAX_SENTENCE_BYTES}]:
 * <ul>
 *   <li>context: the most whole sentences right before s, in the same document, whose text (with the original
 *       spacing between them) fits in {@link #MAX_CONTEXT_BYTES} UTF-8 bytes, at least one; it ends at a sentence end.
 *       No item at s when the sentence before it alone is longer;
 *   <li>distractors: three sentences of similar length, |bytes − bytes(s)| ≤ {@link #LENGTH_TOLERANCE} · bytes(s),
 *       also in [{@link #MIN_SENTENCE_BYTES}, {@link #MAX_SENTENCE_BYTES}], from elsewhere in the held-out text: not
 *       in the context, not s, not the sentence after s; with texts different from s's and from each other. Drawn
 *       uniformly among those;
 *   <li>the answer's position among the four is uniform.
 * </ul>
 * Of all sentences that can make an item, {@code n} are picked by a seeded shuffle; an item's draws depend only on
 * the seed and its sentence, so a smaller n gives the first items of a larger one.
 */
public final class FourWayItems {
    private FourWayItems() {}

    public static final int MAX_CONTEXT_BYTES = 256;
    public static final int MIN_SENTENCE_BYTES = 20;
    public static final int MAX_SENTENCE_BYTES = 256;
    public static final double LENGTH_TOLERANCE = 0.30;

    /** A sentence: its document, its text and UTF-8 length, and its span in the document. */
    private record Sent(int doc, String text, int bytes, int start, int end) {}

    /** The sentences of held-out documents, and which of them can make an item. */
    private static final class Pool {
        final List<String> docs = new ArrayList<>();
        final List<Sent> sents = new ArrayList<>();
        int[] byLength;       // indices of sentences in the length bounds, sorted by (bytes, index)
        int[] lengths;        // bytes of byLength's sentences
        final List<int[]> items = new ArrayList<>();   // {s, first context sentence}, in text order

        Pool(List<byte[]> heldOut) {
            for (byte[] d : heldOut) {
                String doc = new String(d, StandardCharsets.UTF_8);
                int di = docs.size();
                docs.add(doc);
                for (Sentences.Span sp : Sentences.split(doc)) {
                    String t = sp.of(doc);
                    sents.add(new Sent(di, t, utf8Length(t), sp.start(), sp.end()));
                }
            }
            byLength = java.util.stream.IntStream.range(0, sents.size()).filter(i -> inBounds(sents.get(i).bytes))
                    .boxed().sorted(Comparator.comparingInt((Integer i) -> sents.get(i).bytes).thenComparing(i -> i))
                    .mapToInt(Integer::intValue).toArray();
            lengths = Arrays.stream(byLength).map(i -> sents.get(i).bytes).toArray();
            for (int s = 1; s < sents.size(); s++) {
                Sent t = sents.get(s);
                if (!inBounds(t.bytes) || sents.get(s - 1).doc != t.doc) continue;
                int first = contextStart(s);
                if (first < 0) continue;
                if (distractors(s, first, 3).size() >= 3) items.add(new int[] {s, first});
            }
        }

        /** The first sentence of s's context, or -1 when the sentence before s alone is too long. */
        int contextStart(int s) {
            Sent last = sents.get(s - 1);
            String doc = docs.get(last.doc);
            int first = -1;
            for (int k = s - 1; k >= 0 && sents.get(k).doc == last.doc; k--) {
                if (utf8Length(doc.substring(sents.get(k).start, last.end)) > MAX_CONTEXT_BYTES) break;
                first = k;
            }
            return first;
        }

        /** Sentences that may be s's distractors (one per distinct text), in length order, the first {@code limit}. */
        List<Integer> distractors(int s, int first, int limit) {
            Sent t = sents.get(s);
            int lo = lowerBound(lengths, (int) Math.ceil(t.bytes * (1 - LENGTH_TOLERANCE) - 1e-9));
            int hi = lowerBound(lengths, (int) Math.floor(t.bytes * (1 + LENGTH_TOLERANCE) + 1e-9) + 1);
            Set<String> seen = new HashSet<>();
            seen.add(t.text);
            List<Integer> out = new ArrayList<>();
            for (int j = lo; j < hi && out.size() < limit; j++) {
                int d = byLength[j];
                if (d >= first && d <= s + 1) continue;
                if (seen.add(sents.get(d).text)) out.add(d);
            }
            return out;
        }

        FourWayItem item(int[] at, long seed) {
            int s = at[0], first = at[1];
            SplittableRandom rng = new SplittableRandom(seed ^ (s * 0x9E3779B97F4A7C15L));
            List<Integer> pool = distractors(s, first, Integer.MAX_VALUE);
            for (int k = 0; k < 3; k++) java.util.Collections.swap(pool, k, k + rng.nextInt(pool.size() - k));
            List<String> cands = new ArrayList<>();
            for (int k = 0; k < 3; k++) cands.add(sents.get(pool.get(k)).text);
            int answer = rng.nextInt(FourWayItem.CHOICES);
            cands.add(answer, sents.get(s).text);
            Sent last = sents.get(s - 1);
            String context = docs.get(last.doc).substring(sents.get(first).start, last.end);
            return new FourWayItem(context, cands, answer);
        }
    }

    /** How many items the held-out documents can give. */
    public static int available(List<byte[]> heldOut) {
        return new Pool(heldOut).items.size();
    }

    /**
     * {@code n} items from the held-out documents, chosen with {@code seed}.
     *
     * @throws Blt4jException (one line, saying how many it can give) when the text cannot give n items
     */
    public static List<FourWayItem> build(List<byte[]> heldOut, int n, long seed) {
        if (n < 1) throw new Blt4jException("the number of four-way items must be at least 1, got " + n);
        Pool pool = new Pool(heldOut);
        int can = pool.items.size();
        if (can < n)
            throw new Blt4jException(String.format("the held-out text (%d bytes, %d sentences) gives only %d four-way "
                    + "items, %d asked; use a larger corpus or held-out fraction, or fewer items",
                    org.blt4j.data.Corpus.totalBytes(heldOut), pool.sents.size(), can, n));
        List<int[]> order = new ArrayList<>(pool.items);
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = order.size() - 1; i > 0; i--) java.util.Collections.swap(order, i, rng.nextInt(i + 1));
        List<FourWayItem> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(pool.item(order.get(i), seed));
        return out;
    }

    /**
     * The items with {@code noise} applied where {@code where} says; item i draws from its own generator, seeded by
     * {@code seed} and i, so its noise does not depend on the other items.
     */
    public static List<FourWayItem> noised(List<FourWayItem> items, Noise noise, NoiseWhere where, long seed) {
        List<FourWayItem> out = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++)
            out.add(items.get(i).noised(noise, where, new SplittableRandom(seed ^ ((i + 1) * 0xBF58476D1CE4E5B9L))));
        return out;
    }

    private static boolean inBounds(int bytes) {
        return bytes >= MIN_SENTENCE_BYTES && bytes <= MAX_SENTENCE_BYTES;
    }

    private static int lowerBound(int[] a, int key) {
        int lo = 0, hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /** UTF-8 length of a string, as {@link String#getBytes} encodes it. */
    static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
