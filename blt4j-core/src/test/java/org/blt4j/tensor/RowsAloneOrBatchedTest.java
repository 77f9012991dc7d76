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
 * The kernels a decode step runs on a batch [M, ·] of independent rows give each row exactly the bits it gets alone
 * (M = 1), on one thread or two: what lets prompts run in lockstep. Products up to {@link Gemm#SMALL_M} rows (decode
 * sizes) and the row-wise ops. Tagged "widths": the build runs it again at 256-bit vectors (AVX2's width) when the
 * machine prefers 512.
 */
@Tag("widths")
class RowsAloneOrBatchedTest {
    /** (N, K): tiny, a vector tail at 256 and/or 512 bits (7, 24, 100, 17, 130), several column chunks */
    private static final int[][] SHAPES = {{1, 1}, {3, 7}, {5, 24}, {24, 8}, {37, 100}, {257, 17}, {1031, 130},
            {130, 1031}, {64, 512}};
    private static final int MAX_M = 8;

    @Test
    void widthIsTheOneAsked() {
        String asked = System.getProperty(VectorWidth.PROPERTY);
        if (asked != null) assertEquals(Integer.parseInt(asked), VectorWidth.FLOAT.vectorBitSize());
        assertEquals(VectorWidth.FLOAT.length(), VectorWidth.INT.length());
    }

    /** y[M, N] = alpha · op(x)[M, K] · op(B)[K, N] + beta · y, all transposes; row i alone is the product with M = 1. */
    @Test
    void gemmRowsEqualRowsAlone() {
        int n = 0;
        for (int[] s : SHAPES)
            for (int t = 0; t < 4; t++, n++) {
                boolean tA = t >= 2, tB = t % 2 == 1;
                float alpha = n % 3 == 0 ? 0.5f : 1f, beta = n % 3 == 0 ? 1f : 0f;
                int N = s[0], K = s[1], lda = tA ? MAX_M : K, ldb = tB ? K : N;
                SplittableRandom r = new SplittableRandom(n);
                float[] A = GemmTest.random(r, MAX_M * K), B = GemmTest.random(r, N * K), C0 = GemmTest.random(r, MAX_M * N);
                float[] alone = C0.clone();
                for (int i = 0; i < MAX_M; i++) // row i of op(A): A[i, :] or column i of A [K, MAX_M]
                    Gemm.sgemm(tA, tB, 1, N, K, alpha, A, tA ? i : i * K, lda, B, 0, ldb, beta, alone, i * N, N);
                for (int M = 1; M <= MAX_M; M++)
                    for (int threads = 1; threads <= 2; threads++) {
                        int m = M;
                        float[] batch = C0.clone();
                        Parallel.withThreads(threads, () ->
                                Gemm.sgemm(tA, tB, m, N, K, alpha, A, 0, lda, B, 0, ldb, beta, batch, 0, N));
                        assertRowsEqual(alone, batch, M, N, String.format("sgemm tA=%b tB=%b M=%d N=%d K=%d, %d threads",
                                tA, tB, M, N, K, threads));
                    }
            }
    }

    /** x[M, K] · Wᵀ with a bf16 weight [N, K] streamed from a segment (K even; M below the widening threshold). */
    @Test
    void bf16RowsEqualRowsAlone() {
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int[] s : SHAPES) {
            int N = s[0], K = s[1] + (s[1] & 1);
            SplittableRandom r = new SplittableRandom(N * 31L + K);
            float[] x = GemmTest.random(r, MAX_M * K), alone = new float[MAX_M * N];
            try (Arena arena = Arena.ofShared()) {
                MemorySegment w = arena.allocate(2L * N * K);
                for (int i = 0; i < N * K; i++) w.set(i16, 2L * i, DType.floatToBf16((float) (r.nextDouble() * 2 - 1)));
                for (int i = 0; i < MAX_M; i++) Bf16Gemm.linear(x, i * K, 1, K, w, N, alone, i * N);
                for (int M = 1; M <= MAX_M; M++)
                    for (int threads = 1; threads <= 2; threads++) {
                        int m = M;
                        float[] batch = new float[MAX_M * N];
                        Parallel.withThreads(threads, () -> Bf16Gemm.linear(x, 0, m, K, w, N, batch, 0));
                        assertRowsEqual(alone, batch, M, N, "bf16 M=" + M + " N=" + N + " K=" + K + ", " + threads + " threads");
                    }
            }
        }
    }

    /** The SwiGLU gate over [M, hidden] as one flat call (as a decode step makes it) and over each row alone. */
    @Test
    void swigluRowsEqualRowsAlone() {
        for (int hidden : new int[] {1, 7, 24, 40, 100, 513, 1536}) {
            SplittableRandom r = new SplittableRandom(hidden);
            float[] a = GemmTest.random(r, MAX_M * hidden), b = GemmTest.random(r, MAX_M * hidden);
            for (int i = 0; i < a.length; i++) a[i] *= 8; // through the saturating ends of the gate too
            float[] alone = new float[MAX_M * hidden];
            for (int i = 0; i < MAX_M; i++) Ops.swiglu(a, i * hidden, b, i * hidden, alone, i * hidden, hidden);
            for (int M = 1; M <= MAX_M; M++)
                for (int threads = 1; threads <= 2; threads++) {
                    int m = M;
                    float[] batch = new float[MAX_M * hidden];
                    Parallel.withThreads(threads, () -> Ops.swiglu(a, 0, b, 0, batch, 0, m * hidden));
                    assertRowsEqual(alone, batch, M, hidden, "swiglu M=" + M + " hidden=" + hidden + ", " + threads + " threads");
                }
        }
    }

    /** RMSNorm over [M, dim] and over each row alone. */
    @Test
    void rmsNormRowsEqualRowsAlone() {
        for (int dim : new int[] {1, 7, 24, 40, 100, 513}) {
            SplittableRandom r = new SplittableRandom(dim);
            float[] x = GemmTest.random(r, MAX_M * dim), w = GemmTest.random(r, dim), alone = new float[MAX_M * dim];
            for (int i = 0; i < MAX_M; i++) Ops.rmsNorm(x, i * dim, w, 0, alone, i * dim, 1, dim, 1e-5f);
            for (int M = 1; M <= MAX_M; M++)
                for (int threads = 1; threads <= 2; threads++) {
                    int m = M;
                    float[] batch = new float[MAX_M * dim];
                    Parallel.withThreads(threads, () -> Ops.rmsNorm(x, 0, w, 0, batch, 0, m, dim, 1e-5f));
                    assertRowsEqual(alone, batch, M, dim, "rmsNorm M=" + M + " dim=" + dim + ", " + threads + " threads");
                }
        }
    }

    /** The first M rows of width n of got have the bits of want's. */
    private static void assertRowsEqual(float[] want, float[] got, int M, int n, String what) {
        for (int i = 0; i < M; i++)
            assertArrayEquals(java.util.Arrays.copyOfRange(want, i * n, (i + 1) * n),
                    java.util.Arrays.copyOfRange(got, i * n, (i + 1) * n), what + ": row " + i);
    }
}
