package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** One-query attention over a KV cache (ring buffer or growing) against the batched kernel with the same mask. */
class KvCacheTest {

    private static void check(int window, int docStart, int nHeads, int nKv, int hd, int S, long seed) {
        Random rnd = new Random(seed);
        int qd = nHeads * hd, kvd = nKv * hd;
        float[] q = new float[S * qd], k = new float[S * kvd], v = new float[S * kvd];
        for (int i = 0; i < q.length; i++) q[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < k.length; i++) k[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < v.length; i++) v[i] = (float) rnd.nextGaussian();
        int[] from = new int[S], to = new int[S];
        for (int i = 0; i < S; i++) {
            from[i] = (int) Math.max(i >= docStart ? docStart : 0, (long) i - window + 1);
            to[i] = i + 1;
        }
        float[] want = new float[S * qd];
        Attention.forward(q, 0, k, 0, v, 0, want, 0, S, S, nHeads, nKv, hd, AttnMask.ranges(from, to));
        KvCache c = new KvCache(kvd, window);
        float[] got = new float[qd], scores = new float[nHeads * S];
        for (int i = 0; i < S; i++) {
            c.put(i, k, i * kvd, v, i * kvd);
            c.attend(q, i * qd, from[i], i, nHeads, nKv, hd, got, 0, scores);
            for (int j = 0; j < qd; j++)
                assertEquals(want[i * qd + j], got[j], 1e-5f, "window " + window + " position " + i + " element " + j);
        }
    }

    @Test
    void ringBufferWraps() {
        check(5, 0, 4, 2, 8, 40, 1);     // GQA, window 5 over 40 positions
        check(3, 17, 2, 2, 6, 30, 2);    // a document starting at 17; head dim not a multiple of the vector length
        check(1, 0, 2, 1, 16, 10, 3);    // sees only itself
    }

    @Test
    void unboundedGrows() {
        check(Integer.MAX_VALUE, 0, 4, 1, 8, 150, 4);
        check(Integer.MAX_VALUE, 70, 2, 2, 4, 100, 5);
    }

    @Test
    void manyHeadsInParallel() {
        check(70, 0, 16, 16, 64, 100, 7);   // heads split over threads; 4-vector blocks of the weighted sum; wraps
        check(Integer.MAX_VALUE, 0, 12, 4, 40, 90, 8); // GQA, head dim with a partial vector block and a tail
    }

    @Test
    void sameBitsOnOneAndTwoThreads() {
        Random rnd = new Random(9);
        int nH = 16, hd = 64, kvd = nH * hd, S = 120;
        KvCache c = new KvCache(kvd, 100);
        float[] kv = new float[kvd], q = new float[kvd];
        for (int i = 0; i < S; i++) {
            for (int j = 0; j < kvd; j++) kv[j] = (float) rnd.nextGaussian();
            c.put(i, kv, 0, kv, 0);
        }
        for (int j = 0; j < kvd; j++) q[j] = (float) rnd.nextGaussian();
        float[] one = new float[kvd], two = new float[kvd], scores = new float[nH * 100];
        Parallel.withThreads(1, () -> c.attend(q, 0, S - 100, S - 1, nH, nH, hd, one, 0, scores));
        Parallel.withThreads(2, () -> c.attend(q, 0, S - 100, S - 1, nH, nH, hd, two, 0, scores));
        org.junit.jupiter.api.Assertions.assertArrayEquals(one, two);
    }

    @Test
    void largeWindowStartsSmall() {
        check(512, 0, 2, 2, 8, 200, 6);  // ring not yet full: grows up to the window
    }
}
