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
        float[] got = new float[qd], scores = new float[S];
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
    void largeWindowStartsSmall() {
        check(512, 0, 2, 2, 8, 200, 6);  // ring not yet full: grows up to the window
    }
}
