package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Gemm#sgemm} against {@link NaiveKernels#sgemm}: odd sizes, all transposes, alpha/beta, offsets, padded lds. */
class GemmTest {
    private static final int[] SIZES = {1, 7, 33, 130, 257};
    /** (alpha, beta) pairs; beta = 0 runs on NaN-filled C */
    private static final float[][] AB = {{1f, 0f}, {0.5f, 1f}, {-1.5f, 0.25f}, {2f, 0f}};

    @Test
    void matchesNaiveOnAllShapesAndTransposes() {
        int n = 0;
        for (int M : SIZES)
            for (int N : SIZES)
                for (int K : SIZES)
                    for (int t = 0; t < 4; t++, n++) {
                        float[] ab = AB[n % AB.length];
                        check(t >= 2, t % 2 == 1, M, N, K, ab[0], ab[1], n % 3, n % 5 == 0 ? 0 : 3, 1 + n % 2, n);
                    }
    }

    @Test
    void matchesNaiveWithASide1000() {
        int[][] shapes = {{1000, 7, 33}, {7, 1000, 130}, {33, 130, 1000}, {1, 1000, 257}, {1000, 33, 1}, {130, 1, 1000},
                {4, 1000, 33}, {5, 257, 1000}, {33, 1100, 600}, {40, 4200, 7}}; // last two: several column blocks
        int n = 0;
        for (int[] s : shapes)
            for (int t = 0; t < 4; t++, n++) {
                float[] ab = AB[n % AB.length];
                check(t >= 2, t % 2 == 1, s[0], s[1], s[2], ab[0], ab[1], 5, 2, 1 + n % 2, n);
            }
    }

    @Test
    void smallMPathOnBothThreadCounts() {
        for (int M : new int[] {1, 2, 3, 4, 5, 8, 9, Gemm.SMALL_M - 1, Gemm.SMALL_M, Gemm.SMALL_M + 1})
            for (int t = 0; t < 4; t++)
                for (int threads = 1; threads <= 2; threads++)
                    check(t >= 2, t % 2 == 1, M, M < 8 ? 1000 : 301, 257, 1f, M % 2 == 0 ? 0f : 1f, 1, 1, threads, M * 10 + t);
    }

    /** op(A) read in place gives the packed path's result to the bit: same products, same order. */
    @Test
    void directAEqualsPackedA() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] shapes = {{33, 130, 257}, {130, 33, 600}, {67, 32, 384}, {384, 32, 65}, {257, 7, 33}};
        boolean was = GemmBlocked.DIRECT_A;
        try {
            for (int[] s : shapes)
                for (int t = 0; t < 4; t++) {
                    boolean tA = t >= 2, tB = t % 2 == 1;
                    int M = s[0], N = s[1], K = s[2], lda = (tA ? M : K) + 3, ldb = (tB ? K : N) + 1, ldc = N + 2;
                    float[] A = random(r, (tA ? K : M) * lda + 5), B = random(r, (tB ? N : K) * ldb + 2);
                    float[] c0 = random(r, M * ldc + 4), c1 = c0.clone();
                    GemmBlocked.DIRECT_A = false;
                    Gemm.sgemm(tA, tB, M, N, K, 0.5f, A, 5, lda, B, 2, ldb, 1f, c0, 4, ldc);
                    GemmBlocked.DIRECT_A = true;
                    Gemm.sgemm(tA, tB, M, N, K, 0.5f, A, 5, lda, B, 2, ldb, 1f, c1, 4, ldc);
                    for (int i = 0; i < c0.length; i++)
                        if (Float.floatToIntBits(c0[i]) != Float.floatToIntBits(c1[i]))
                            fail("M " + M + " N " + N + " K " + K + (tA ? " Aᵀ" : "") + (tB ? " Bᵀ" : "") + ": C[" + i + "] "
                                    + c0[i] + " packed, " + c1[i] + " in place");
                }
        } finally {
            GemmBlocked.DIRECT_A = was;
        }
    }

    @Test
    void degenerateShapes() {
        float[] C = {1f, 2f, 3f, 4f};
        Gemm.sgemm(false, false, 2, 2, 0, 1f, new float[0], 0, 1, new float[0], 0, 2, 0.5f, C, 0, 2);
        assertEquals(java.util.List.of(0.5f, 1f, 1.5f, 2f), java.util.List.of(C[0], C[1], C[2], C[3]));
        Gemm.sgemm(false, false, 2, 2, 3, 0f, new float[6], 0, 3, new float[6], 0, 2, 0f, C, 0, 2);
        assertEquals(0f, C[3]);
        Gemm.sgemm(false, false, 0, 2, 3, 1f, new float[0], 0, 3, new float[6], 0, 2, 0f, C, 0, 2); // no-op
    }

    @Test
    void linearIsXTimesWTransposed() {
        SplittableRandom r = new SplittableRandom(7);
        int M = 33, K = 130, N = 257;
        float[] x = random(r, M * K + 3), W = random(r, N * K + 5), y = new float[M * N + 2], ref = new float[M * N + 2];
        Gemm.linear(x, 3, M, K, W, 5, N, y, 2);
        NaiveKernels.sgemm(false, true, M, N, K, 1f, x, 3, K, W, 5, K, 0f, ref, 2, N);
        float[] absRef = new float[ref.length];
        NaiveKernels.sgemm(false, true, M, N, K, 1f, abs(x), 3, K, abs(W), 5, K, 0f, absRef, 2, N);
        assertClose(ref, y, absRef, "linear");
    }

    /** One sgemm on random data with offsets `off` and leading dimensions padded by `pad`, on `threads` threads. */
    static void check(boolean tA, boolean tB, int M, int N, int K, float alpha, float beta, int off, int pad,
                      int threads, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
        int aOff = off, bOff = 2 * off, cOff = off + 1;
        float[] A = random(r, aOff + (tA ? K : M) * lda), B = random(r, bOff + (tB ? N : K) * ldb);
        float[] C0 = random(r, cOff + M * ldc);
        if (beta == 0f) for (int i = 0; i < M; i++) for (int j = 0; j < N; j++) C0[cOff + i * ldc + j] = Float.NaN;
        float[] ref = C0.clone(), got = C0.clone(), absRef = abs(C0);
        NaiveKernels.sgemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, ref, cOff, ldc);
        NaiveKernels.sgemm(tA, tB, M, N, K, Math.abs(alpha), abs(A), aOff, lda, abs(B), bOff, ldb, Math.abs(beta),
                absRef, cOff, ldc);
        Parallel.withThreads(threads, () -> Gemm.sgemm(tA, tB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, got, cOff, ldc));
        assertClose(ref, got, absRef, String.format("tA=%b tB=%b M=%d N=%d K=%d alpha=%s beta=%s off=%d pad=%d threads=%d",
                tA, tB, M, N, K, alpha, beta, off, pad, threads));
    }

    /** |got - ref| <= 1e-5 · absRef elementwise, where absRef is the same sum over absolute values (exact outside C). */
    static void assertClose(float[] ref, float[] got, float[] absRef, String what) {
        for (int i = 0; i < ref.length; i++) {
            float tol = 1e-5f * Math.abs(absRef[i]) + 1e-30f;
            if (!(Math.abs(got[i] - ref[i]) <= tol) && !(Float.isNaN(ref[i]) && Float.isNaN(got[i])))
                fail(what + ": at " + i + " expected " + ref[i] + " got " + got[i] + " (tol " + tol + ")");
        }
    }

    static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    static float[] abs(float[] a) {
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Math.abs(a[i]);
        return b;
    }
}
