package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The GEMM micro-kernel: a 4×16 tile of C held in 8 accumulators of 8 lanes (on AVX2; 4×2L for L lanes), updated by
 * rank-1 steps: 4 values of A (broadcast) times 16 values of B (two vector loads from a B panel [kc][16]).
 * <p>Why 4×16 on AVX2 (16 ymm registers), measured on Zen 3 with in-cache panels: 4×16, 3×24 and 2×32 reach ≈ 93% of
 * the FMA peak, 8×8 ≈ 78%; 6×16 (12 accumulators), 5×16 and 4×24 fall to ≈ 40%, because C2 hoists 2-3 broadcasts into
 * registers of their own and then spills an accumulator. 8 accumulators leave room for that. In the full GEMM
 * (4096×1536×512) 4×16 beat 3×24: 90 vs 87 GFLOP/s on one thread, 177 vs 159 on two.
 * <p>alpha and beta come in an array ab = {alpha, beta} on purpose: float arguments arrive in xmm registers and C2 may
 * keep one there through the loop, costing a ymm register (measured: half the speed with 12 accumulators).
 */
final class GemmKernel {
    private GemmKernel() {}

    static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    /** lanes per vector: 8 on AVX2 */
    static final int L = S.length();
    /** tile rows, tile columns (two vectors) */
    static final int MR = 4, NR = 2 * L;

    /**
     * C[4,NR] (row stride ldc, from ci) = alpha · Σ_p a[p][0..4) ⊗ b[p][0..NR) + beta · C; beta == 0 never reads C.
     * a: packed A panel [kc][MR] from ai; b: B panel [kc][NR] from bi.
     */
    static void tile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, float[] ab) {
        tile(kc, a, ai, 1, MR, b, bi, c, ci, ldc, ab);
    }

    /**
     * The same with A read in place: a[p][ii] = a[ai + ii*rs + p*cs] (a packed panel: rs 1, cs MR; op(A) rows of a
     * row-major A: rs lda, cs 1; of a transposed one: rs 1, cs lda). The products and their order do not depend on
     * where A lies, so the result is the same to the bit.
     */
    static void tile(int kc, float[] a, int ai, int rs, int cs, float[] b, int bi, float[] c, int ci, int ldc, float[] ab) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
        for (int p = 0, ap = ai; p < kc; p++, ap += cs) {
            int bp = bi + p * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bp), b1 = FloatVector.fromArray(S, b, bp + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ap]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ap + r1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ap + r2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ap + r3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
        }
        float alpha = ab[0], beta = ab[1];
        put(c00, c, ci, alpha, beta);
        put(c01, c, ci + L, alpha, beta);
        put(c10, c, ci + ldc, alpha, beta);
        put(c11, c, ci + ldc + L, alpha, beta);
        put(c20, c, ci + 2 * ldc, alpha, beta);
        put(c21, c, ci + 2 * ldc + L, alpha, beta);
        put(c30, c, ci + 3 * ldc, alpha, beta);
        put(c31, c, ci + 3 * ldc + L, alpha, beta);
    }

    private static void put(FloatVector acc, float[] c, int i, float alpha, float beta) {
        FloatVector v = acc.mul(alpha);
        if (beta != 0f) v = FloatVector.fromArray(S, c, i).fma(FloatVector.broadcast(S, beta), v);
        v.intoArray(c, i);
    }

    /**
     * A partial tile (mr <= MR rows, nr <= NR columns) through tmp [MR*NR]: the panels are zero-padded, so the full
     * kernel runs into tmp (with a0 = {alpha, 0}) and only the valid part is merged into C.
     */
    static void edgeTile(int kc, float[] a, int ai, float[] b, int bi, float[] c, int ci, int ldc, int mr, int nr,
                         float[] a0, float beta, float[] tmp) {
        edgeTile(kc, a, ai, 1, MR, b, bi, c, ci, ldc, mr, nr, a0, beta, tmp);
    }

    /** The same with A in place (see {@link #tile(int, float[], int, int, int, float[], int, float[], int, int, float[])}). */
    static void edgeTile(int kc, float[] a, int ai, int rs, int cs, float[] b, int bi, float[] c, int ci, int ldc, int mr,
                         int nr, float[] a0, float beta, float[] tmp) {
        tile(kc, a, ai, rs, cs, b, bi, tmp, 0, NR, a0);
        for (int i = 0; i < mr; i++) {
            int row = ci + i * ldc;
            for (int j = 0; j < nr; j++)
                c[row + j] = beta == 0f ? tmp[i * NR + j] : tmp[i * NR + j] + beta * c[row + j];
        }
    }
}
