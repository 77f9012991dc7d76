package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The entropy pass's kernels give a row (a segment) the same bits whatever rows (segments) share the product, at any
 * M (small-M sizes included) and thread count: {@link Gemm#linearRowwise} and {@link SegmentAttention}. Tagged
 * "widths" like the other rows-alone tests.
 */
@Tag("widths")
class RowwiseKernelsTest {
    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void linearRowwiseGivesEachRowItsBitsAlone() {
        SplittableRandom r = new SplittableRandom(1);
        for (int[] s : new int[][] {{1, 1}, {37, 100}, {130, 1031}, {384, 128}, {260, 700}}) {
            int N = s[0], K = s[1], M = 300;
            float[] x = random(r, M * K), w = random(r, N * K), y = new float[M * N];
            Gemm.linearRowwise(x, 0, M, K, w, 0, N, y, 0);
            for (int i : new int[] {0, 5, 31, 32, 33, 299}) {
                for (int m : new int[] {1, 2, 17, 40}) {              // row i first of m rows (others: rows after it)
                    int rows = Math.min(m, M - i);
                    float[] part = new float[rows * N];
                    Parallel.withThreads(m % 2 + 1, () -> Gemm.linearRowwise(x, i * K, rows, K, w, 0, N, part, 0));
                    for (int j = 0; j < N; j++)
                        assertEquals(Float.floatToIntBits(y[i * N + j]), Float.floatToIntBits(part[j]),
                                "N " + N + " K " + K + " row " + i + " among " + rows + " column " + j);
                }
            }
        }
    }

    @Test
    void aSegmentGivesTheSameBitsAmongOthers() {
        SplittableRandom r = new SplittableRandom(2);
        int nHeads = 4, nKv = 2, hd = 32;
        for (int window : new int[] {7, 100, Integer.MAX_VALUE}) {
            int[] lens = {1, 70, 3, 200, 64, 129};
            int S = 0;
            for (int l : lens) S += l;
            float[] q = random(r, S * nHeads * hd), k = random(r, S * nKv * hd), v = random(r, S * nKv * hd);
            int[] starts = new int[lens.length + 1];
            for (int i = 0; i < lens.length; i++) starts[i + 1] = starts[i] + lens[i];
            float[] all = new float[S * nHeads * hd];
            SegmentAttention.forward(q, k, v, all, starts, lens.length, nHeads, nKv, hd, window);
            for (int g = 0; g < lens.length; g++) {
                int b = starts[g], L = lens[g];
                float[] alone = new float[L * nHeads * hd];
                float[] qs = java.util.Arrays.copyOfRange(q, b * nHeads * hd, (b + L) * nHeads * hd);
                float[] ks = java.util.Arrays.copyOfRange(k, b * nKv * hd, (b + L) * nKv * hd);
                float[] vs = java.util.Arrays.copyOfRange(v, b * nKv * hd, (b + L) * nKv * hd);
                Parallel.withThreads(g % 2 + 1, () -> SegmentAttention.forward(qs, ks, vs, alone, new int[] {0, L}, 1, nHeads, nKv, hd, window));
                assertArrayEquals(alone, java.util.Arrays.copyOfRange(all, b * nHeads * hd, (b + L) * nHeads * hd),
                        "segment " + g + ", window " + window);
                // and it is attention: the naive kernel over the segment with its windowed causal mask, up to rounding
                int[] from = new int[L], to = new int[L];
                for (int i = 0; i < L; i++) {
                    from[i] = (int) Math.max(0, (long) i - window + 1);
                    to[i] = i + 1;
                }
                float[] naive = new float[L * nHeads * hd];
                NaiveKernels.attention(qs, 0, ks, 0, vs, 0, naive, 0, L, L, nHeads, nKv, hd, AttnMask.ranges(from, to));
                assertArrayEquals(naive, alone, 1e-5f, "segment " + g + " against the naive kernel, window " + window);
            }
        }
    }
}
