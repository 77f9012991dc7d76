package org.blt4j.tensor;

import static org.blt4j.tensor.GemmKernel.MR;
import static org.blt4j.tensor.GemmKernel.NR;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Packing of GEMM operands into the panel layouts the micro-kernel streams through. Packing absorbs the transposes:
 * op(A)[i,p] = transA ? A[p*lda + i] : A[i*lda + p], op(B)[p,j] = transB ? B[j*ldb + p] : B[p*ldb + j].
 * Panels are zero-padded to full MR rows / NR columns, so edge tiles can run the full kernel.
 * The two layouts that need a transpose (row-major A into [kc][4], B = W [N,K] into [kc][16]) transpose 4×8 and 8×8
 * blocks in registers (8-lane species only; else element by element): 4-6× faster than element copies, which
 * matters when M or N is a few hundred (packing is O(MK + NK) against O(MNK) compute).
 */
final class GemmPack {
    private GemmPack() {}

    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final VectorSpecies<Float> S4 = FloatVector.SPECIES_128;
    /** register transposes are written for 8 lanes */
    private static final boolean T8 = S.length() == 8 && MR == 4;

    // two-vector shuffles; index i - 8 takes lane i of the second vector
    private static final VectorShuffle<Float> LO1 = shuffle(0, -8, 1, -7, 4, -4, 5, -3); // a0 a1 interleaved, pairs
    private static final VectorShuffle<Float> HI1 = shuffle(2, -6, 3, -5, 6, -2, 7, -1);
    private static final VectorShuffle<Float> LO2 = shuffle(0, 1, -8, -7, 4, 5, -4, -3); // pairs of pairs
    private static final VectorShuffle<Float> HI2 = shuffle(2, 3, -6, -5, 6, 7, -2, -1);
    private static final VectorShuffle<Float> LO4 = shuffle(0, 1, 2, 3, -8, -7, -6, -5); // 128-bit halves
    private static final VectorShuffle<Float> HI4 = shuffle(4, 5, 6, 7, -4, -3, -2, -1);

    private static VectorShuffle<Float> shuffle(int... lanes) {
        return T8 ? VectorShuffle.fromValues(S, lanes) : null;
    }

    /** op(A)[i0 .. i0+mc, p0 .. p0+kc) → ap as ceil(mc/MR) panels, each [kc][MR] (panel r starts at r*kc*MR). */
    static void packA(boolean transA, float[] A, int aOff, int lda, int i0, int mc, int p0, int kc, float[] ap) {
        for (int r = 0; r < mc; r += MR) {
            int mr = Math.min(MR, mc - r), base = r * kc, p = 0;
            if (mr == MR && transA && MR == 4) {
                for (int src = aOff + p0 * lda + i0 + r; p < kc; p++, src += lda)
                    FloatVector.fromArray(S4, A, src).intoArray(ap, base + p * MR);
            } else if (mr == MR && T8) {
                // 4 rows × 8 steps → [8][4]
                int s0 = aOff + (i0 + r) * lda + p0;
                for (; p + 8 <= kc; p += 8) {
                    FloatVector a0 = FloatVector.fromArray(S, A, s0 + p), a1 = FloatVector.fromArray(S, A, s0 + lda + p),
                            a2 = FloatVector.fromArray(S, A, s0 + 2 * lda + p), a3 = FloatVector.fromArray(S, A, s0 + 3 * lda + p);
                    FloatVector b0 = a0.rearrange(LO1, a1), b1 = a0.rearrange(HI1, a1);
                    FloatVector b2 = a2.rearrange(LO1, a3), b3 = a2.rearrange(HI1, a3);
                    FloatVector c0 = b0.rearrange(LO2, b2), c1 = b0.rearrange(HI2, b2); // steps 0|4, 1|5
                    FloatVector c2 = b1.rearrange(LO2, b3), c3 = b1.rearrange(HI2, b3); // steps 2|6, 3|7
                    int d = base + p * MR;
                    c0.rearrange(LO4, c1).intoArray(ap, d);
                    c2.rearrange(LO4, c3).intoArray(ap, d + 8);
                    c0.rearrange(HI4, c1).intoArray(ap, d + 16);
                    c2.rearrange(HI4, c3).intoArray(ap, d + 24);
                }
            }
            for (; p < kc; p++) {
                int dst = base + p * MR;
                for (int ii = 0; ii < mr; ii++)
                    ap[dst + ii] = transA ? A[aOff + (p0 + p) * lda + i0 + r + ii] : A[aOff + (i0 + r + ii) * lda + p0 + p];
                for (int ii = mr; ii < MR; ii++) ap[dst + ii] = 0f;
            }
        }
    }

    /**
     * NR-wide column panels q0 .. q1 of op(B)[p0 .. p0+kc, j0 .. j0+nc) → bp, panel q at q*kc*NR laid out [kc][NR].
     */
    static void packB(boolean transB, float[] B, int bOff, int ldb, int p0, int kc, int j0, int nc, int q0, int q1,
                      float[] bp) {
        for (int q = q0; q < q1; q++) {
            int j = q * NR, nr = Math.min(NR, nc - j), base = q * kc * NR, p = 0;
            if (!transB && nr == NR) {
                for (int src = bOff + p0 * ldb + j0 + j; p < kc; p++, src += ldb)
                    for (int v = 0; v < NR; v += GemmKernel.L)
                        FloatVector.fromArray(S, B, src + v).intoArray(bp, base + p * NR + v);
            } else if (transB && nr == NR && T8) {
                for (int h = 0; h < NR; h += 8) transpose8(B, bOff + (j0 + j + h) * ldb + p0, ldb, kc, bp, base + h);
                p = kc - kc % 8;
            }
            for (; p < kc; p++) {
                int dst = base + p * NR;
                for (int jj = 0; jj < nr; jj++)
                    bp[dst + jj] = transB ? B[bOff + (j0 + j + jj) * ldb + p0 + p] : B[bOff + (p0 + p) * ldb + j0 + j + jj];
                for (int jj = nr; jj < NR; jj++) bp[dst + jj] = 0f;
            }
        }
    }

    /** 8 rows B[src + r*ldb + p], p < kc rounded down to 8 → bp[dst + p*NR + r]: 8×8 blocks transposed in registers. */
    private static void transpose8(float[] B, int src, int ldb, int kc, float[] bp, int dst) {
        for (int p = 0; p + 8 <= kc; p += 8) {
            int s = src + p;
            FloatVector a0 = FloatVector.fromArray(S, B, s), a1 = FloatVector.fromArray(S, B, s + ldb),
                    a2 = FloatVector.fromArray(S, B, s + 2 * ldb), a3 = FloatVector.fromArray(S, B, s + 3 * ldb),
                    a4 = FloatVector.fromArray(S, B, s + 4 * ldb), a5 = FloatVector.fromArray(S, B, s + 5 * ldb),
                    a6 = FloatVector.fromArray(S, B, s + 6 * ldb), a7 = FloatVector.fromArray(S, B, s + 7 * ldb);
            FloatVector b0 = a0.rearrange(LO1, a1), b1 = a0.rearrange(HI1, a1), b2 = a2.rearrange(LO1, a3),
                    b3 = a2.rearrange(HI1, a3), b4 = a4.rearrange(LO1, a5), b5 = a4.rearrange(HI1, a5),
                    b6 = a6.rearrange(LO1, a7), b7 = a6.rearrange(HI1, a7);
            // rows 0-3 (c0..c3) and 4-7 (c4..c7) of steps 0|4, 1|5, 2|6, 3|7
            FloatVector c0 = b0.rearrange(LO2, b2), c1 = b0.rearrange(HI2, b2), c2 = b1.rearrange(LO2, b3),
                    c3 = b1.rearrange(HI2, b3), c4 = b4.rearrange(LO2, b6), c5 = b4.rearrange(HI2, b6),
                    c6 = b5.rearrange(LO2, b7), c7 = b5.rearrange(HI2, b7);
            int d = dst + p * NR;
            c0.rearrange(LO4, c4).intoArray(bp, d);
            c1.rearrange(LO4, c5).intoArray(bp, d + NR);
            c2.rearrange(LO4, c6).intoArray(bp, d + 2 * NR);
            c3.rearrange(LO4, c7).intoArray(bp, d + 3 * NR);
            c0.rearrange(HI4, c4).intoArray(bp, d + 4 * NR);
            c1.rearrange(HI4, c5).intoArray(bp, d + 5 * NR);
            c2.rearrange(HI4, c6).intoArray(bp, d + 6 * NR);
            c3.rearrange(HI4, c7).intoArray(bp, d + 7 * NR);
        }
    }
}
