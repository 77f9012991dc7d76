package org.blt4j.tensor;

import static org.blt4j.tensor.GemmKernel.MR;
import static org.blt4j.tensor.GemmKernel.NR;

/**
 * Packed, cache-blocked, multi-threaded sgemm (the Goto/BLIS loop nest around {@link GemmKernel}):
 * <pre>
 * for jc in N by NC:            B block op(B)[kc, nc] packed once per (jc, pc) → [nc/NR][kc][NR], shared, in L3
 *   for pc in K by KC:          KC = K when K <= 512, else 256
 *     parallel over tasks (M block of MC rows) × (range of B panels):
 *       pack A block op(A)[mc, kc] → [mc/MR][kc][MR]       (per thread, stays in L2)
 *       for each B panel [kc][NR] of the range:            (stays in L1 while the A panels stream by)
 *         for each A panel [kc][MR]: C tile [MR, NR] (+)= A panel · B panel
 * </pre>
 * The first K block applies beta, later ones accumulate (beta = 1).
 * <p>Measured on Zen 3 (AVX2, 32 KB L1, 512 KB L2): MC from 32 to 240 and KC = 256 or 512 for K > 512 are within
 * noise of each other; KC = K beats 256 for K = 512. beta != 0 costs ~10% on a C that is not in cache (every tile
 * waits for its C rows).
 */
final class GemmBlocked {
    private GemmBlocked() {}

    /** K up to KC_WHOLE in one step, else steps of KC; M blocks of ~MC rows (A block 64 × 512 floats = 128 KB) */
    static final int KC_WHOLE = 512, KC = 256, MC = 64, NC = 4096;

    /**
     * Read op(A) in place instead of packing it: the kernel broadcasts one value per row and step, which costs the same
     * from 4 row streams as from a packed panel, and packing (a transpose: element by element where no register
     * transpose is written, as with 16 lanes) took a third as long as the products in BLT training on AVX-512.
     */
    static boolean DIRECT_A = !"false".equals(System.getProperty("blt4j.gemmDirectA"));

    /** per-thread packing buffers, grown on demand */
    private static final ThreadLocal<float[]> A_PACK = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> B_PACK = ThreadLocal.withInitial(() -> new float[0]);

    static void gemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                     float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                     float beta, float[] C, int cOff, int ldc) {
        int threads = Parallel.threads();
        int kcStep = K <= KC_WHOLE ? K : KC;
        // M blocks of equal size (multiple of MR), so tasks are even
        int mBlocks = ceilDiv(M, MC);
        int mc = roundUp(ceilDiv(M, mBlocks), MR);
        int mBlocksF = ceilDiv(M, mc);
        float[] bp = buffer(B_PACK, roundUp(Math.min(N, NC), NR) * kcStep);
        for (int jc = 0; jc < N; jc += NC) {
            int nc = Math.min(NC, N - jc), nPanels = ceilDiv(nc, NR);
            // when M is small, split the B panels too, to get >= 2 tasks per thread (each split repacks its A block)
            int nSplit = threads == 1 ? 1 : Math.clamp(ceilDiv(2 * threads, mBlocksF), 1, nPanels);
            for (int pc = 0; pc < K; pc += kcStep) {
                int kc = Math.min(kcStep, K - pc), p0 = pc, j0 = jc;
                float betaK = pc == 0 ? beta : 1f;
                int packTasks = Math.min(nPanels, 4 * threads);
                Parallel.forEach(packTasks, 8L * kc * nc, t -> GemmPack.packB(transB, B, bOff, ldb, p0, kc, j0, nc,
                        t * nPanels / packTasks, (t + 1) * nPanels / packTasks, bp));
                Parallel.forEach(mBlocksF * nSplit, 2L * M * nc * kc, t -> {
                    int i0 = (t / nSplit) * mc, ns = t % nSplit;
                    block(transA, A, aOff, lda, i0, Math.min(mc, M - i0), p0, kc, bp, j0, nc,
                            ns * nPanels / nSplit, (ns + 1) * nPanels / nSplit, alpha, betaK, C, cOff, ldc);
                });
            }
        }
    }

    /**
     * C[i0 .. i0+mc, j0 + q0*NR .. j0 + q1*NR) (+)= op(A) block · B panels q0 .. q1. Full MR-row panels of op(A) are
     * read in place ({@link #DIRECT_A}); a last partial one is packed, zero-padded.
     */
    private static void block(boolean transA, float[] A, int aOff, int lda, int i0, int mc, int p0, int kc,
                              float[] bp, int j0, int nc, int q0, int q1, float alpha, float beta,
                              float[] C, int cOff, int ldc) {
        int full = DIRECT_A ? mc - mc % MR : 0;                  // rows read in place
        float[] ap = buffer(A_PACK, roundUp(mc - full, MR) * kc);
        if (full < mc) GemmPack.packA(transA, A, aOff, lda, i0 + full, mc - full, p0, kc, ap);
        int rs = transA ? 1 : lda, cs = transA ? lda : 1;      // op(A)[i, p] = A[aOff + i*rs + p*cs]
        float[] ab = {alpha, beta}, a0 = {alpha, 0f}, tmp = new float[MR * NR];
        for (int q = q0; q < q1; q++) {
            int j = q * NR, nr = Math.min(NR, nc - j), bi = q * kc * NR;
            for (int r = 0; r < mc; r += MR) {
                int mr = Math.min(MR, mc - r), ci = cOff + (i0 + r) * ldc + j0 + j;
                float[] a = r < full ? A : ap;
                int ai = r < full ? aOff + (i0 + r) * rs + p0 * cs : (r - full) * kc;
                int ars = r < full ? rs : 1, acs = r < full ? cs : MR;
                if (mr == MR && nr == NR) GemmKernel.tile(kc, a, ai, ars, acs, bp, bi, C, ci, ldc, ab);
                else GemmKernel.edgeTile(kc, a, ai, ars, acs, bp, bi, C, ci, ldc, mr, nr, a0, beta, tmp);
            }
        }
    }

    private static float[] buffer(ThreadLocal<float[]> cache, int n) {
        float[] b = cache.get();
        if (b.length < n) cache.set(b = new float[n]);
        return b;
    }

    static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    static int roundUp(int a, int m) {
        return ceilDiv(a, m) * m;
    }
}
