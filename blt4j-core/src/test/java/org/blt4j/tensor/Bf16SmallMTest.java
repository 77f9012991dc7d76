package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.blt4j.io.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The small-M bf16 product (M = 2 .. WIDEN_MIN_M - 1: tiles of 4 W rows × 2 x rows from FOUR_ROWS_MIN_M rows or
 * FOUR_ROWS_MIN_K columns on, of 2 W rows × 4 and × 2 x rows below; an odd M's last x row and a row range's last W
 * rows apart)
 * against a naive twin (scalar, in double, over the widened weights), and every row of a batch against the row alone,
 * bit for bit, on one thread and two. The shapes give each thread's row range an odd or even number of rows and K
 * with and without a vector tail.
 */
@Tag("widths")
class Bf16SmallMTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** (N, K) */
    private static final int[][] SHAPES = {{1, 2}, {4, 32}, {5, 34}, {8, 64}, {11, 130}, {23, 96}, {38, 258}, {67, 512},
            {13, Bf16Gemm.FOUR_ROWS_MIN_K + 6}};

    /** y[m, n] = Σ_k x[m, k] · w[n, k] in double, the weights read as bf16 one by one. */
    static double[] naive(float[] x, int M, int K, MemorySegment w, int N) {
        double[] y = new double[M * N];
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double s = 0;
                for (int k = 0; k < K; k++) s += (double) x[m * K + k] * DType.bf16ToFloat(w.get(I16, 2L * (n * K + k)));
                y[m * N + n] = s;
            }
        return y;
    }

    @Test
    void tilesMatchTheNaiveTwinAndRowsAlone() {
        int seed = 0;
        for (int[] shape : SHAPES) {
            int N = shape[0], K = shape[1], maxM = Bf16Gemm.WIDEN_MIN_M - 1;
            SplittableRandom r = new SplittableRandom(seed++);
            float[] x = new float[maxM * K];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment w = arena.allocate(2L * N * K);
                for (int i = 0; i < N * K; i++) w.set(I16, 2L * i, DType.floatToBf16((float) (r.nextDouble() * 2 - 1)));
                double[] want = naive(x, maxM, K, w, N);
                float[] alone = new float[maxM * N];
                for (int m = 0; m < maxM; m++) Bf16Gemm.linear(x, m * K, 1, K, w, N, alone, m * N);
                for (int M = 2; M <= maxM; M++)
                    for (int threads = 1; threads <= 2; threads++) {
                        int rows = M;
                        float[] got = new float[M * N];
                        Parallel.withThreads(threads, () -> Bf16Gemm.linear(x, 0, rows, K, w, N, got, 0));
                        String what = "M=" + M + " N=" + N + " K=" + K + ", " + threads + " threads";
                        for (int i = 0; i < M * N; i++)
                            assertEquals(want[i], got[i], 1e-5 * K, what + " at " + i + " (naive twin)");
                        assertArrayEquals(java.util.Arrays.copyOf(alone, M * N), got, what + ": rows batched equal rows alone");
                    }
            }
        }
    }
}
