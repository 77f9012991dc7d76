package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** y = x Wᵀ with int8 W against a naive twin: dequantize, then plain loops in double. */
@Tag("widths") // again at 256-bit vectors where 512 is preferred
class Int8GemmTest {
    /** y[m, n] = Σ_k x[m, k] · w[n, k] in double, with Σ |x · w| per element in sumAbs */
    private static double[] naive(float[] x, int xOff, int M, float[] w, int N, int K, double[] sumAbs) {
        double[] y = new double[M * N];
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double s = 0, a = 0;
                for (int k = 0; k < K; k++) {
                    double p = (double) x[xOff + m * K + k] * w[n * K + k];
                    s += p;
                    a += Math.abs(p);
                }
                y[m * N + n] = s;
                sumAbs[m * N + n] = a;
            }
        return y;
    }

    private static void check(int M, int N, int K, int B, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[M * K + 3], w = new float[N * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.05f;
        Int8Matrix q = Int8Matrix.quantize(w, N, K, B);
        double[] sumAbs = new double[M * N];
        double[] want = naive(x, 3, M, q.dequantize(), N, K, sumAbs);
        float[] got = new float[M * N + 5];
        Int8Gemm.linear(x, 3, M, q, got, 5);
        for (int i = 0; i < M * N; i++)
            assertEquals(want[i], got[5 + i], 1e-5 * sumAbs[i] + 1e-30,
                    "M " + M + " N " + N + " K " + K + " B " + B + " at " + i);
    }

    @Test
    void agreesWithTheNaiveTwin() {
        int seed = 0;
        for (int M : new int[] {1, 2, 3, 7, 16})
            for (int[] nk : new int[][] {{1, 32}, {5, 64}, {9, 100}, {33, 257}, {64, 31}, {17, 1000}})
                check(M, nk[0], nk[1], 32, seed++);
        for (int B : new int[] {1, 3, 8, 16, 20, 64, 128})
            check(3, 11, 150, B, seed++);
        check(1, 512, 2048, 32, seed++); // large enough to run in parallel
        check(16, 300, 384, 32, seed++);
    }

    @Test
    void batchedRowsEqualRowsAlone() {
        int M = 5, N = 70, K = 333;
        Random rnd = new Random(7);
        float[] x = new float[M * K], w = new float[N * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian();
        Int8Matrix q = Int8Matrix.quantize(w, N, K, 32);
        float[] all = new float[M * N], one = new float[M * N];
        Int8Gemm.linear(x, 0, M, q, all, 0);
        for (int m = 0; m < M; m++) {
            int mm = m;
            Parallel.withThreads(1 + m % 2, () -> Int8Gemm.linear(x, mm * K, 1, q, one, mm * N));
        }
        assertArrayEquals(all, one);
    }

    @Test
    void zeroWeightsGiveZeroAndBadArgumentsAreRefused() {
        Int8Matrix z = Int8Matrix.quantize(new float[4 * 40], 4, 40, 32);
        float[] x = new float[2 * 40];
        java.util.Arrays.fill(x, 1f);
        float[] y = new float[8];
        java.util.Arrays.fill(y, 9f);
        Int8Gemm.linear(x, 0, 2, z, y, 0);
        assertArrayEquals(new float[8], y);
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 1, 2, z, y, 0)); // x too short from offset 1
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, 2, z, new float[7], 0));
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, -1, z, y, 0));
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, 1, null, y, 0));
        Int8Gemm.linear(x, 0, 0, z, y, 0); // M = 0: nothing to do
        assertTrue(true);
    }

    @Test
    void linearManyEqualsEachWeightAlone() {
        int M = 3, K = 100;
        Random rnd = new Random(11);
        float[] x = new float[M * K + 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        int[] ns = {7, 33, 1};
        Int8Matrix[] w = new Int8Matrix[ns.length];
        float[][] y = new float[ns.length][];
        int[] yOff = new int[ns.length];
        for (int i = 0; i < ns.length; i++) {
            float[] wi = new float[ns[i] * K];
            for (int j = 0; j < wi.length; j++) wi[j] = (float) rnd.nextGaussian();
            w[i] = Int8Matrix.quantize(wi, ns[i], K, 32);
            yOff[i] = i;
            y[i] = new float[i + M * ns[i]];
        }
        for (int threads : new int[] {1, 2}) {
            Parallel.withThreads(threads, () -> Int8Gemm.linearMany(x, 2, M, w, y, yOff));
            for (int i = 0; i < ns.length; i++) {
                float[] alone = new float[i + M * ns[i]];
                Int8Gemm.linear(x, 2, M, w[i], alone, i);
                assertArrayEquals(alone, y[i], "weight " + i + ", " + threads + " threads");
            }
        }
        Int8Matrix other = Int8Matrix.quantize(new float[2 * 50], 2, 50, 32);
        assertThrows(Blt4jException.class, () -> Int8Gemm.linearMany(x, 0, 1, new Int8Matrix[] {w[0], other}, new float[][] {y[0], new float[2]}, new int[2]));
    }
}
