package org.blt4j.token;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.regex.Matcher;
import org.blt4j.Blt4jException;

/**
 * Learns a byte-level BPE vocabulary from documents. Ranks 0..255 are the single bytes (rank = byte value); each merge
 * then joins the most frequent adjacent token pair, counted over the corpus's pre-split chunks ({@link
 * BpeTokenizer#PATTERN} on its valid UTF-8 runs, cut as {@link BpeTokenizer} cuts them), until the vocabulary has
 * {@code vocabSize} tokens or no pair occurs twice. Ties go to the smaller (left id, right id): the result depends on
 * the corpus only.
 *
 * <p>Incremental: each distinct chunk is a word (its ids, its count); pair counts and, per pair, the words holding it
 * are kept up to date, so a merge touches only the words that contain its pair. A max-heap of (count, pair) with
 * lazy deletion finds the best pair (entries are pushed when a count grows, re-checked when popped).
 */
public final class BpeTrainer {
    /** the largest vocabulary trained here (GPT-4's cl100k has 100,256 tokens; each merge rescans the corpus) */
    public static final int MAX_VOCAB = 1 << 20;

    private BpeTrainer() {}

    /** Trains on {@code docs} (each cut separately) up to {@code vocabSize} tokens (at least 256). */
    public static TiktokenRanks train(List<byte[]> docs, int vocabSize) {
        if (vocabSize < 256 || vocabSize > MAX_VOCAB)
            throw new Blt4jException("BPE vocab size must be in [256 (the bytes), " + MAX_VOCAB + "], got " + vocabSize);
        Map<String, long[]> chunks = countChunks(docs);
        int nw = chunks.size();
        int[][] words = new int[nw][]; // [nw][len] token ids
        long[] counts = new long[nw];
        int w = 0;
        for (var e : chunks.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int k = 0; k < b.length; k++) ids[k] = b[k] & 0xff;
            words[w] = ids;
            counts[w++] = e.getValue()[0];
        }

        List<byte[]> tokens = new ArrayList<>(vocabSize);
        Map<ByteBuffer, Integer> idOf = new HashMap<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(new byte[] {(byte) b});
            idOf.put(ByteBuffer.wrap(tokens.get(b)), b);
        }

        Map<Long, long[]> pairCount = new HashMap<>();
        Map<Long, IntBag> pairWords = new HashMap<>();
        for (int i = 0; i < nw; i++) {
            int[] ids = words[i];
            for (int k = 0; k + 1 < ids.length; k++) {
                long key = key(ids[k], ids[k + 1]);
                pairCount.computeIfAbsent(key, x -> new long[1])[0] += counts[i];
                pairWords.computeIfAbsent(key, x -> new IntBag()).add(i);
            }
        }
        // max count first, then the smaller key (left id, then right id)
        PriorityQueue<long[]> heap = new PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(y[0], x[0])
                : Long.compare(x[1], y[1]));
        for (var e : pairCount.entrySet()) heap.add(new long[] {e.getValue()[0], e.getKey()});

        int[] stamp = new int[nw];
        Arrays.fill(stamp, -1);
        int step = 0;
        while (tokens.size() < vocabSize) {
            long[] top = heap.poll();
            if (top == null) break;
            long[] cur = pairCount.get(top[1]);
            long c = cur == null ? 0 : cur[0];
            if (c != top[0]) { // stale
                if (c > 0 && c < top[0]) heap.add(new long[] {c, top[1]});
                continue;
            }
            if (c < 2) break;
            int a = (int) (top[1] >>> 32), b = (int) top[1];
            byte[] ta = tokens.get(a), tb = tokens.get(b);
            byte[] merged = Arrays.copyOf(ta, ta.length + tb.length);
            System.arraycopy(tb, 0, merged, ta.length, tb.length);
            Integer existing = idOf.get(ByteBuffer.wrap(merged));
            int t;
            if (existing != null) t = existing; // same bytes reached by another merge: reuse its id, no new rank
            else {
                t = tokens.size();
                tokens.add(merged);
                idOf.put(ByteBuffer.wrap(merged), t);
            }
            step++;
            Map<Long, Boolean> grown = new HashMap<>(); // pairs with t whose counts grew
            IntBag holders = pairWords.remove(top[1]);
            for (int h = 0; h < holders.size; h++) {
                int wi = holders.items[h];
                if (stamp[wi] == step) continue;
                stamp[wi] = step;
                int[] old = words[wi];
                int[] neu = merge(old, a, b, t);
                if (neu == null) continue; // stale holder: the pair left this word
                long cnt = counts[wi];
                for (int k = 0; k + 1 < old.length; k++) pairCount.get(key(old[k], old[k + 1]))[0] -= cnt;
                for (int k = 0; k + 1 < neu.length; k++) {
                    long kk = key(neu[k], neu[k + 1]);
                    pairCount.computeIfAbsent(kk, x -> new long[1])[0] += cnt;
                    if (neu[k] == t || neu[k + 1] == t) {
                        pairWords.computeIfAbsent(kk, x -> new IntBag()).add(wi);
                        grown.put(kk, Boolean.TRUE);
                    }
                }
                words[wi] = neu;
            }
            pairCount.remove(top[1]);
            for (long kk : grown.keySet()) {
                long[] v = pairCount.get(kk);
                if (v[0] > 0) heap.add(new long[] {v[0], kk});
            }
        }
        return new TiktokenRanks(tokens);
    }

    /** Distinct pre-split chunks of the valid UTF-8 runs of {@code docs} and their counts. */
    static Map<String, long[]> countChunks(List<byte[]> docs) {
        Map<String, long[]> out = new HashMap<>();
        for (byte[] d : docs) {
            int i = 0;
            while (i < d.length) {
                int end = Utf8.validRunEnd(d, i, d.length);
                if (end == i) {
                    i++; // an invalid byte: always its own single-byte token
                    continue;
                }
                Matcher m = BpeTokenizer.PATTERN.matcher(new String(d, i, end - i, StandardCharsets.UTF_8));
                while (m.find()) out.computeIfAbsent(m.group(), x -> new long[1])[0]++;
                i = end;
            }
        }
        return out;
    }

    /** {@code ids} with each non-overlapping (a, b), left to right, replaced by t; null if (a, b) does not occur. */
    static int[] merge(int[] ids, int a, int b, int t) {
        int[] out = null;
        int n = 0;
        for (int k = 0; k < ids.length; k++) {
            if (k + 1 < ids.length && ids[k] == a && ids[k + 1] == b) {
                if (out == null) {
                    out = new int[ids.length - 1];
                    System.arraycopy(ids, 0, out, 0, k);
                    n = k;
                }
                out[n++] = t;
                k++;
            } else if (out != null) out[n++] = ids[k];
        }
        return out == null ? null : Arrays.copyOf(out, n);
    }

    private static long key(int a, int b) {
        return ((long) a << 32) | (b & 0xffffffffL);
    }

    /** A growable int list. */
    private static final class IntBag {
        int[] items = new int[4];
        int size;

        void add(int v) {
            if (size == items.length) items = Arrays.copyOf(items, size * 2);
            items[size++] = v;
        }
    }
}
