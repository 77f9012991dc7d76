package org.blt4j.tensor;

/**
 * Scaled dot-product attention with grouped KV heads and range masks, the twin of {@link NaiveKernels#attention}:
 * q [Sq, nHeads*hd], k and v [Sk, nKv*hd], out [Sq, nHeads*hd]; query head h reads KV head h / (nHeads/nKv);
 * scale 1/sqrt(hd); query i sees keys [from(i), to(i)) clipped to [0, Sk), none → zeros.
 * <p>Work goes by (head, block of up to QB queries): with [lo, hi) the union of the block's key ranges,
 * <pre>
 *   P [qb, hi-lo] = scale · Q_block · K[lo:hi]ᵀ        (sgemm: dot products over hd)
 *   each row: softmax over its own range, 0 elsewhere
 *   out_block [qb, hd] = P · V[lo:hi]                   (sgemm: weighted sums of v rows)
 * </pre>
 * Blocking queries lets one pass over a head's K and V serve QB queries (row by row, K and V streamed from L2 for
 * every query and bounded the speed). The price: masked-out entries inside [lo, hi) are computed and dropped, and
 * they multiply v rows by 0 — so a NaN/Inf in such a v row (never read by the naive kernel) would leak into the row.
 * Decode (Sq = 1) lands in Gemm's small-M path. Blocks run in parallel; the GEMMs inside them run serially.
 */
final class Attention {
    private Attention() {}

    /** queries per block: a multiple of the GEMM tile height; smaller when the key range is very long */
    static final int QB = 64;
    /** cap on the scores block, in floats (4 MB) */
    private static final int MAX_SCORES = 1 << 20;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    static void forward(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                        int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int[] from = new int[Sq], to = new int[Sq];
        long flops = 0;
        for (int i = 0; i < Sq; i++) {
            from[i] = Math.max(0, mask.from(i));
            to[i] = Math.min(Sk, mask.to(i));
            flops += 4L * Math.max(0, to[i] - from[i]) * hd * nHeads;
        }
        FlopCounter.attention(flops);
        int[] starts = blockStarts(from, to, Sq, Math.clamp(MAX_SCORES / Math.max(1, Sk), 4, QB));
        int blocks = starts.length - 1;
        Parallel.forEach(nHeads * blocks, flops, t -> {
            int h = t / blocks, b = t % blocks; // head-major: neighbouring tasks share K and V
            block(q, qOff, k, kOff, v, vOff, out, outOff, starts[b], starts[b + 1] - starts[b], h, h / group, nHeads, nKv,
                    hd, from, to, scale);
        });
    }

    /**
     * Query blocks [starts[b], starts[b+1]) (the last entry is Sq): at most qb queries each, and a block of at least
     * qb/2 ends where a query's keys do not overlap the block's (a new row of a packed batch, a new document), so that
     * the scores a block computes, over the union of its queries' keys, stay close to the ones they see. Interleaved
     * A/B (best of 30, shared machine): the token LM's 8 rows of 100 tokens 1.2× forward and backward; the BLT's global
     * rows of 96 patches within noise.
     */
    static int[] blockStarts(int[] from, int[] to, int Sq, int qb) {
        int[] s = new int[Sq + 1];
        int n = 0, start = 0, lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        s[n++] = 0;
        for (int i = 0; i < Sq; i++) {
            boolean sees = to[i] > from[i], apart = sees && lo < hi && (from[i] >= hi || to[i] <= lo);
            if (i > start && (i - start >= qb || (apart && i - start >= qb / 2))) {
                s[n++] = start = i;
                lo = Integer.MAX_VALUE;
                hi = Integer.MIN_VALUE;
            }
            if (sees) {
                lo = Math.min(lo, from[i]);
                hi = Math.max(hi, to[i]);
            }
        }
        if (Sq > 0) s[n++] = Sq;
        return java.util.Arrays.copyOf(s, Sq > 0 ? n : 1);
    }

    /** Queries i0 .. i0+m of head h (KV head kh). */
    private static void block(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                              int i0, int m, int h, int kh, int nHeads, int nKv, int hd, int[] from, int[] to,
                              float scale) {
        int qStride = nHeads * hd, kvStride = nKv * hd;
        int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
        for (int i = i0; i < i0 + m; i++)
            if (to[i] > from[i]) {
                lo = Math.min(lo, from[i]);
                hi = Math.max(hi, to[i]);
            }
        int o = outOff + i0 * qStride + h * hd;
        if (lo >= hi) { // every query of the block sees nothing
            for (int r = 0; r < m; r++) java.util.Arrays.fill(out, o + r * qStride, o + r * qStride + hd, 0f);
            return;
        }
        int n = hi - lo;
        float[] p = SCORES.get();
        if (p.length < m * n) SCORES.set(p = new float[m * n]);
        Gemm.sgemm(false, true, m, n, hd, scale, q, qOff + i0 * qStride + h * hd, qStride,
                k, kOff + lo * kvStride + kh * hd, kvStride, 0f, p, 0, n);
        for (int r = 0; r < m; r++) {
            int row = r * n, f = from[i0 + r], e = to[i0 + r];
            if (e <= f) {
                java.util.Arrays.fill(p, row, row + n, 0f);
            } else {
                java.util.Arrays.fill(p, row, row + f - lo, 0f);
                Ops.softmax(p, row + f - lo, e - f);
                java.util.Arrays.fill(p, row + e - lo, row + n, 0f);
            }
        }
        Gemm.sgemm(false, false, m, hd, n, 1f, p, 0, n, v, vOff + lo * kvStride + kh * hd, kvStride, 0f, out, o, qStride);
    }
}
