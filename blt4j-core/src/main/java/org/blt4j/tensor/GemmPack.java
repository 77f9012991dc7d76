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
 * matters when M or N is a few hundred (packing is O(MK + NK) against O(MNK) compute). With 16 lanes (AVX-512) B = W
 * [N,K] into [kc][32] transposes 16×16 blocks; attention's scores Q·Kᵀ (M = 64 queries, K = head dim 32) gain
 * 1.3-1.5×. (A is read in place by the kernel, {@link GemmBlocked#DIRECT_A}, packed only for a last partial panel.)
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

    /** 16 lanes (AVX-512): B = W [N,K] panels are transposed 16×16 in registers ({@link #transpose16}) */
    private static final boolean T16 = S.length() == 16 && NR == 32;
    /** zip of two vectors: low halves interleaved (a0 b0 a1 b1 … a7 b7), high halves (a8 b8 … a15 b15) */
    private static final VectorShuffle<Float> ZIP_LO = zip(0), ZIP_HI = zip(8);

    private static VectorShuffle<Float> zip(int from) {
        if (!T16) return null;
        int[] lanes = new int[16];
        for (int j = 0; j < 16; j++) lanes[j] = from + j / 2 - (j % 2 == 1 ? 16 : 0);
        return VectorShuffle.fromValues(S, lanes);
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
            } else if (transB && nr == NR && T16) {
                for (int h = 0; h < NR; h += 16) transpose16(B, bOff + (j0 + j + h) * ldb + p0, ldb, kc, bp, base + h);
                p = kc - kc % 16;
            }
            for (; p < kc; p++) {
                int dst = base + p * NR;
                for (int jj = 0; jj < nr; jj++)
                    bp[dst + jj] = transB ? B[bOff + (j0 + j + jj) * ldb + p0 + p] : B[bOff + (p0 + p) * ldb + j0 + j + jj];
                for (int jj = nr; jj < NR; jj++) bp[dst + jj] = 0f;
            }
        }
    }

    /**
     * 16 rows B[src + r*ldb + p], p < kc rounded down to 16 → bp[dst + p*NR + r]: 16×16 blocks transposed in
     * registers by four rounds of zips (vector v' ← zip of v and v+8): each round rotates the 8-bit (vector, lane)
     * index left by one, so four of them swap vector and lane.
     */
    private static void transpose16(float[] B, int src, int ldb, int kc, float[] bp, int dst) {
        for (int p = 0; p + 16 <= kc; p += 16) {
            int s = src + p;
            FloatVector a0 = FloatVector.fromArray(S, B, s), a1 = FloatVector.fromArray(S, B, s + 1 * ldb),
                    a2 = FloatVector.fromArray(S, B, s + 2 * ldb), a3 = FloatVector.fromArray(S, B, s + 3 * ldb),
                    a4 = FloatVector.fromArray(S, B, s + 4 * ldb), a5 = FloatVector.fromArray(S, B, s + 5 * ldb),
                    a6 = FloatVector.fromArray(S, B, s + 6 * ldb), a7 = FloatVector.fromArray(S, B, s + 7 * ldb),
                    a8 = FloatVector.fromArray(S, B, s + 8 * ldb), a9 = FloatVector.fromArray(S, B, s + 9 * ldb),
                    a10 = FloatVector.fromArray(S, B, s + 10 * ldb), a11 = FloatVector.fromArray(S, B, s + 11 * ldb),
                    a12 = FloatVector.fromArray(S, B, s + 12 * ldb), a13 = FloatVector.fromArray(S, B, s + 13 * ldb),
                    a14 = FloatVector.fromArray(S, B, s + 14 * ldb), a15 = FloatVector.fromArray(S, B, s + 15 * ldb);
            FloatVector b0 = a0.rearrange(ZIP_LO, a8), b1 = a0.rearrange(ZIP_HI, a8),
                    b2 = a1.rearrange(ZIP_LO, a9), b3 = a1.rearrange(ZIP_HI, a9),
                    b4 = a2.rearrange(ZIP_LO, a10), b5 = a2.rearrange(ZIP_HI, a10),
                    b6 = a3.rearrange(ZIP_LO, a11), b7 = a3.rearrange(ZIP_HI, a11),
                    b8 = a4.rearrange(ZIP_LO, a12), b9 = a4.rearrange(ZIP_HI, a12),
                    b10 = a5.rearrange(ZIP_LO, a13), b11 = a5.rearrange(ZIP_HI, a13),
                    b12 = a6.rearrange(ZIP_LO, a14), b13 = a6.rearrange(ZIP_HI, a14),
                    b14 = a7.rearrange(ZIP_LO, a15), b15 = a7.rearrange(ZIP_HI, a15);
            FloatVector c0 = b0.rearrange(ZIP_LO, b8), c1 = b0.rearrange(ZIP_HI, b8),
                    c2 = b1.rearrange(ZIP_LO, b9), c3 = b1.rearrange(ZIP_HI, b9),
                    c4 = b2.rearrange(ZIP_LO, b10), c5 = b2.rearrange(ZIP_HI, b10),
                    c6 = b3.rearrange(ZIP_LO, b11), c7 = b3.rearrange(ZIP_HI, b11),
                    c8 = b4.rearrange(ZIP_LO, b12), c9 = b4.rearrange(ZIP_HI, b12),
                    c10 = b5.rearrange(ZIP_LO, b13), c11 = b5.rearrange(ZIP_HI, b13),
                    c12 = b6.rearrange(ZIP_LO, b14), c13 = b6.rearrange(ZIP_HI, b14),
                    c14 = b7.rearrange(ZIP_LO, b15), c15 = b7.rearrange(ZIP_HI, b15);
            FloatVector d0 = c0.rearrange(ZIP_LO, c8), d1 = c0.rearrange(ZIP_HI, c8),
                    d2 = c1.rearrange(ZIP_LO, c9), d3 = c1.rearrange(ZIP_HI, c9),
                    d4 = c2.rearrange(ZIP_LO, c10), d5 = c2.rearrange(ZIP_HI, c10),
                    d6 = c3.rearrange(ZIP_LO, c11), d7 = c3.rearrange(ZIP_HI, c11),
                    d8 = c4.rearrange(ZIP_LO, c12), d9 = c4.rearrange(ZIP_HI, c12),
                    d10 = c5.rearrange(ZIP_LO, c13), d11 = c5.rearrange(ZIP_HI, c13),
                    d12 = c6.rearrange(ZIP_LO, c14), d13 = c6.rearrange(ZIP_HI, c14),
                    d14 = c7.rearrange(ZIP_LO, c15), d15 = c7.rearrange(ZIP_HI, c15);
            FloatVector e0 = d0.rearrange(ZIP_LO, d8), e1 = d0.rearrange(ZIP_HI, d8),
                    e2 = d1.rearrange(ZIP_LO, d9), e3 = d1.rearrange(ZIP_HI, d9),
                    e4 = d2.rearrange(ZIP_LO, d10), e5 = d2.rearrange(ZIP_HI, d10),
                    e6 = d3.rearrange(ZIP_LO, d11), e7 = d3.rearrange(ZIP_HI, d11),
                    e8 = d4.rearrange(ZIP_LO, d12), e9 = d4.rearrange(ZIP_HI, d12),
                    e10 = d5.rearrange(ZIP_LO, d13), e11 = d5.rearrange(ZIP_HI, d13),
                    e12 = d6.rearrange(ZIP_LO, d14), e13 = d6.rearrange(ZIP_HI, d14),
                    e14 = d7.rearrange(ZIP_LO, d15), e15 = d7.rearrange(ZIP_HI, d15);
            int d = dst + p * NR;
            e0.intoArray(bp, d + 0 * NR);
            e1.intoArray(bp, d + 1 * NR);
            e2.intoArray(bp, d + 2 * NR);
            e3.intoArray(bp, d + 3 * NR);
            e4.intoArray(bp, d + 4 * NR);
            e5.intoArray(bp, d + 5 * NR);
            e6.intoArray(bp, d + 6 * NR);
            e7.intoArray(bp, d + 7 * NR);
            e8.intoArray(bp, d + 8 * NR);
            e9.intoArray(bp, d + 9 * NR);
            e10.intoArray(bp, d + 10 * NR);
            e11.intoArray(bp, d + 11 * NR);
            e12.intoArray(bp, d + 12 * NR);
            e13.intoArray(bp, d + 13 * NR);
            e14.intoArray(bp, d + 14 * NR);
            e15.intoArray(bp, d + 15 * NR);
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
