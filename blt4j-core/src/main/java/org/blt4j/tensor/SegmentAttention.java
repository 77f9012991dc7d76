package org.blt4j.tensor;

/**
 * Sliding-window causal attention over segments packed one after another in a sequence (the entropy pass's windows,
 * model/EntropyBatch): query i of segment [b, c) sees keys [max(b, i - w + 1), i]. q [S, nHeads*hd], k and v
 * [S, nKv*hd], out [S, nHeads*hd], all row-major from 0; query head h reads KV head h / (nHeads/nKv); scale 1/sqrt(hd).
 *
 * <p>Work goes by (query block, head). Blocks of up to {@link #QB} queries start at every segment start, so a block
 * never mixes segments, and its queries, key range [lo, hi) and products depend only on its segment's rows and its
 * offset in the segment:
 * <pre>
 *   P [m, hi-lo]  = scale · Q_block · K[lo:hi]ᵀ     (tiled GEMM over hd)
 *   each row: softmax over its own keys, 0 elsewhere
 *   out [m, hd]   = P · V[lo:hi]                    (tiled GEMM over the keys)
 * </pre>
 * Both products go through the packed kernel for any size ({@link GemmBlocked}, never the small-M path), so a segment's
 * output is the same to the bit whatever other segments share the sequence and however many threads run.
 */
public final class SegmentAttention {
    private SegmentAttention() {}

    /** queries per block */
    static final int QB = 64;
    private static final ThreadLocal<float[]> SCORES = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * @param segStarts segment starts, ascending, from 0; segStarts[nSegs] = S (the sequence length)
     * @param window    keys a query sees at most (its own included); Integer.MAX_VALUE: unbounded
     */
    public static void forward(float[] q, float[] k, float[] v, float[] out, int[] segStarts, int nSegs,
                               int nHeads, int nKv, int hd, int window) {
        forward(q, k, v, out, segStarts, null, nSegs, nHeads, nKv, hd, window);
    }

    /**
     * The same, where only the queries from need[s] on of each segment s are needed (null: all): blocks wholly before
     * it are skipped (their output rows are left as they were); the others are the same blocks as without need, so
     * every computed row has the same bits.
     */
    public static void forward(float[] q, float[] k, float[] v, float[] out, int[] segStarts, int[] need, int nSegs,
                               int nHeads, int nKv, int hd, int window) {
        if (nHeads % nKv != 0) throw new IllegalArgumentException(nHeads + " heads do not group over " + nKv + " KV heads");
        int blocks = 0;
        for (int s = 0; s < nSegs; s++)
            for (int i0 = segStarts[s]; i0 < segStarts[s + 1]; i0 += QB) if (need == null || i0 + QB > need[s]) blocks++;
        int[] start = new int[blocks], seg = new int[blocks];
        long flops = 0;
        for (int s = 0, b = 0; s < nSegs; s++)
            for (int i0 = segStarts[s]; i0 < segStarts[s + 1]; i0 += QB) {
                if (need != null && i0 + QB <= need[s]) continue;
                start[b] = i0;
                seg[b] = s;
                int m = Math.min(QB, segStarts[s + 1] - i0);
                flops += 4L * m * (i0 + m - lo(segStarts[s], i0, window)) * hd * nHeads;
                b++;
            }
        FlopCounter.attention(flops);
        int group = nHeads / nKv, nb = blocks;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forEach(nb * nHeads, flops, t -> {
            int b = t / nHeads, h = t % nHeads, s = seg[b];
            block(q, k, v, out, segStarts[s], start[b], Math.min(QB, segStarts[s + 1] - start[b]), h, h / group,
                    nHeads, nKv, hd, window, scale);
        });
    }

    /** First key query i of a segment starting at b sees. */
    private static int lo(int b, int i, int window) {
        return (int) Math.max(b, (long) i - window + 1);
    }

    /** Queries i0 .. i0+m of head h (KV head kh) in the segment starting at b. */
    private static void block(float[] q, float[] k, float[] v, float[] out, int b, int i0, int m, int h, int kh,
                              int nHeads, int nKv, int hd, int window, float scale) {
        int qs = nHeads * hd, ks = nKv * hd;
        int lo = lo(b, i0, window), n = i0 + m - lo;
        float[] p = SCORES.get();
        if (p.length < m * n) SCORES.set(p = new float[Math.max(m * n, 2 * p.length)]);
        GemmBlocked.gemm(false, true, m, n, hd, scale, q, i0 * qs + h * hd, qs, k, lo * ks + kh * hd, ks, 0f, p, 0, n);
        for (int r = 0; r < m; r++) {
            int row = r * n, f = lo(b, i0 + r, window) - lo, e = i0 + r + 1 - lo;
            java.util.Arrays.fill(p, row, row + f, 0f);
            Ops.softmax(p, row + f, e - f);
            java.util.Arrays.fill(p, row + e, row + n, 0f);
        }
        GemmBlocked.gemm(false, false, m, hd, n, 1f, p, 0, n, v, lo * ks + kh * hd, ks, 0f, out, i0 * qs + h * hd, qs);
    }
}
