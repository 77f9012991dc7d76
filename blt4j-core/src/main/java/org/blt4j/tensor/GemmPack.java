package org.blt4j.tensor;

import static org.blt4j.tensor.GemmKernel.MR;
import static org.blt4j.tensor.GemmKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packing of GEMM operands into the panel layouts the micro-kernel streams through. Packing absorbs the transposes:
 * op(A)[i,p] = transA ? A[p*lda + i] : A[i*lda + p], op(B)[p,j] = transB ? B[j*ldb + p] : B[p*ldb + j].
 * Panels are zero-padded to full MR rows / NR columns, so edge tiles can run the full kernel.
 */
final class GemmPack {
    private GemmPack() {}

    private static final VectorSpecies<Float> S = GemmKernel.S;

    /** op(A)[i0 .. i0+mc, p0 .. p0+kc) → ap as ceil(mc/MR) panels, each [kc][MR] (panel r starts at r*kc*MR). */
    static void packA(boolean transA, float[] A, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap) {
        for (int r = 0; r < mc; r += MR) {
            int mr = Math.min(MR, mc - r), base = r * kc;
            if (transA) {
                for (int p = 0; p < kc; p++) {
                    int src = aOff + (p0 + p) * lda + i0 + r, dst = base + p * MR;
                    for (int ii = 0; ii < mr; ii++) ap[dst + ii] = A[src + ii];
                    for (int ii = mr; ii < MR; ii++) ap[dst + ii] = 0f;
                }
            } else if (mr == MR) {
                int s0 = aOff + (i0 + r) * lda + p0, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda;
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * MR;
                    ap[dst] = A[s0 + p];
                    ap[dst + 1] = A[s1 + p];
                    ap[dst + 2] = A[s2 + p];
                    ap[dst + 3] = A[s3 + p];
                }
            } else {
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * MR;
                    for (int ii = 0; ii < mr; ii++) ap[dst + ii] = A[aOff + (i0 + r + ii) * lda + p0 + p];
                    for (int ii = mr; ii < MR; ii++) ap[dst + ii] = 0f;
                }
            }
        }
    }

    /**
     * NR-wide column panels q0 .. q1 of op(B)[p0 .. p0+kc, j0 .. j0+nc) → bp, panel q at q*kc*NR laid out [kc][NR].
     */
    static void packB(boolean transB, float[] B, int bOff, int ldb, int p0, int kc, int j0, int nc, int q0, int q1,
                      float[] bp) {
        int[] rows = new int[NR];
        for (int q = q0; q < q1; q++) {
            int j = q * NR, nr = Math.min(NR, nc - j), base = q * kc * NR;
            if (!transB) {
                int src = bOff + p0 * ldb + j0 + j;
                for (int p = 0; p < kc; p++, src += ldb) {
                    int dst = base + p * NR;
                    if (nr == NR) {
                        for (int v = 0; v < NR; v += GemmKernel.L)
                            FloatVector.fromArray(S, B, src + v).intoArray(bp, dst + v);
                    } else {
                        for (int jj = 0; jj < nr; jj++) bp[dst + jj] = B[src + jj];
                        for (int jj = nr; jj < NR; jj++) bp[dst + jj] = 0f;
                    }
                }
            } else {
                // NR rows of B read side by side, so the writes stay sequential
                for (int jj = 0; jj < nr; jj++) rows[jj] = bOff + (j0 + j + jj) * ldb + p0;
                for (int p = 0; p < kc; p++) {
                    int dst = base + p * NR;
                    for (int jj = 0; jj < nr; jj++) bp[dst + jj] = B[rows[jj] + p];
                    for (int jj = nr; jj < NR; jj++) bp[dst + jj] = 0f;
                }
            }
        }
    }
}
