package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.text.Documents;

/**
 * The entropy pass as it was before {@link EntropyBatch}: fixed chunks of the stream ([0, c), [c, 2c), ...), one
 * forward pass ({@link EntropyModel#entropies(int[], int[])}) per chunk on a thread each. Kept only so that
 * {@code bench entropy} can compare against it in the same run; not per-document exact (a document's chunks depend on
 * where it sits in the stream).
 */
public final class BaselineEntropies {
    private BaselineEntropies() {}

    /** Entropies [N] of the stream ids [N], chunking.threads() chunks at a time. */
    public static float[] compute(EntropyModel model, int[] ids, Chunking chunking) {
        int n = ids.length, c = chunking.chunkTokens();
        float[] out = new float[n];
        int[] starts = Documents.starts(ids, model.args().eosId());
        ExecutorService pool = Executors.newFixedThreadPool(chunking.threads());
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (long s = 0; s < n; s += c) {
                int from = (int) s, to = (int) Math.min(n, s + c);
                fs.add(pool.submit(() -> chunk(model, ids, starts, from, to, chunking, out)));
            }
            for (Future<?> f : fs) f.get();
        } catch (Exception e) {
            throw new org.blt4j.Blt4jException("baseline entropy pass failed: " + e, e);
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    /** Positions [s, e) over [a, e), a = max(start of s's document, s - warmup); RoPE origins as the old pass. */
    private static void chunk(EntropyModel model, int[] ids, int[] starts, int s, int e, Chunking c, float[] out) {
        int docStart = Documents.startOf(starts, s), a = Math.max(docStart, s - c.warmup()), L = e - a;
        int[] tok = java.util.Arrays.copyOfRange(ids, a, e), pos = new int[L];
        int origin = docStart + (a - docStart) / c.positionPeriod() * c.positionPeriod();
        for (int i = 0; i < L; i++) {
            if (i > 0 && tok[i - 1] == model.args().eosId()) origin = a + i;
            pos[i] = a + i - origin;
        }
        float[] h = model.entropies(tok, pos);
        System.arraycopy(h, s - a, out, s, e - s);
    }
}
