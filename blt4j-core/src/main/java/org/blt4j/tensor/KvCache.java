package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The keys and values one attention layer has seen for one sequence, for decoding one position at a time. A windowed
 * layer (window w) keeps a ring buffer of w rows, position p in row p mod w: a query at position q only sees keys in
 * (q - w, q], which are all still there. An unbounded layer (window {@link Integer#MAX_VALUE}, the global transformer)
 * keeps every row and grows by doubling.
 *
 * <p>Rows are [nKv * headDim] (keys already rotated by RoPE at their absolute position).
 */
public final class KvCache {
    private static final VectorSpecies<Float> S = Ops.S;
    private static final int L = S.length();
    /** windows above this grow on demand instead of allocating the whole ring up front */
    static final int MAX_RING = 1 << 16;

    private final int kvDim;
    private final boolean ring;
    private int cap;
    private float[] k, v;
    private int end; // one past the highest position stored

    /** @param window how many past positions a query can see (itself included); MAX_VALUE for no limit */
    public KvCache(int kvDim, int window) {
        if (window < 1) throw new IllegalArgumentException("window " + window);
        this.kvDim = kvDim;
        this.ring = window <= MAX_RING;
        this.cap = ring ? window : 16;
        // a ring that will never fill (short sequences) starts small too and grows up to the window
        int initial = ring ? Math.min(window, 64) : cap;
        this.k = new float[initial * kvDim];
        this.v = new float[initial * kvDim];
    }

    public int kvDim() { return kvDim; }

    /** One past the highest position stored. */
    public int end() { return end; }

    private int slot(int pos) {
        return ring ? pos % cap : pos;
    }

    /** Stores the key and value rows of position pos (positions come in increasing order). */
    public void put(int pos, float[] kSrc, int kOff, float[] vSrc, int vOff) {
        int need = ring ? Math.min(cap, pos + 1) : pos + 1;
        if (need * kvDim > k.length) {
            int rows = Math.max(need, 2 * (k.length / kvDim));
            if (ring) rows = Math.min(rows, cap);
            // while a ring is still smaller than its window, no position has wrapped: a plain copy keeps slots
            k = java.util.Arrays.copyOf(k, rows * kvDim);
            v = java.util.Arrays.copyOf(v, rows * kvDim);
        }
        int o = slot(pos) * kvDim;
        System.arraycopy(kSrc, kOff, k, o, kvDim);
        System.arraycopy(vSrc, vOff, v, o, kvDim);
        end = Math.max(end, pos + 1);
    }

    /**
     * One query attending to the stored positions [from, to] (inclusive):
     * out[h] = Σ_j softmax_j(q_h · k_j / sqrt(hd)) v_j for each of nHeads query heads, head h reading KV head
     * h / (nHeads / nKv). scores needs room for nHeads * (to - from + 1) floats. Heads run in parallel; every head's
     * sums run in the same order whatever the thread count.
     */
    public void attend(float[] q, int qOff, int from, int to, int nHeads, int nKv, int hd, float[] out, int outOff,
                       float[] scores) {
        int n = to - from + 1, group = nHeads / nKv;
        if (n <= 0) {
            java.util.Arrays.fill(out, outOff, outOff + nHeads * hd, 0f);
            return;
        }
        if (ring && n > cap) throw new IllegalArgumentException("range of " + n + " positions exceeds the window " + cap);
        if (scores.length < (long) nHeads * n) throw new IllegalArgumentException("scores needs " + nHeads * n + " floats");
        float scale = (float) (1.0 / Math.sqrt(hd));
        long flops = (4L * hd + 30) * n * nHeads;
        Parallel.forEach(nHeads, flops, h -> head(q, qOff + h * hd, (h / group) * hd, from, n, hd, scale, out,
                outOff + h * hd, scores, h * n));
    }

    /**
     * One head: scores[so..so+n) = softmax(q·k_j · scale), out[oo..oo+hd) = Σ_j scores_j v_j. (Three methods, not
     * one: C2 stops inlining the Vector API's calls in a method this size, and every vector op then allocates.)
     */
    private void head(float[] q, int qo, int ko, int from, int n, int hd, float scale, float[] out, int oo, float[] scores, int so) {
        int s0 = slot(from), wrap = ring ? cap : Integer.MAX_VALUE; // key j is in slot s0 + j, less cap past the ring's end
        scores(q, qo, ko, s0, wrap, n, hd, scale, scores, so);
        Ops.softmax(scores, so, n);
        weightedSum(ko, s0, wrap, n, hd, scores, so, out, oo);
    }

    private void scores(float[] q, int qo, int ko, int s0, int wrap, int n, int hd, float scale, float[] scores, int so) {
        int hv = S.loopBound(hd), j = 0;
        float[] lanes = new float[4 * L]; // key sums through VecMath.sumLanes (an array argument, see there)
        for (; j + 4 <= n; j += 4) { // four keys at a time: independent FMA chains, each key summed as alone
            int r0 = row(s0 + j, wrap, ko), r1 = row(s0 + j + 1, wrap, ko), r2 = row(s0 + j + 2, wrap, ko),
                    r3 = row(s0 + j + 3, wrap, ko);
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            for (int d = 0; d < hv; d += L) {
                FloatVector qv = FloatVector.fromArray(S, q, qo + d);
                a0 = qv.fma(FloatVector.fromArray(S, k, r0 + d), a0);
                a1 = qv.fma(FloatVector.fromArray(S, k, r1 + d), a1);
                a2 = qv.fma(FloatVector.fromArray(S, k, r2 + d), a2);
                a3 = qv.fma(FloatVector.fromArray(S, k, r3 + d), a3);
            }
            a0.intoArray(lanes, 0);
            a1.intoArray(lanes, L);
            a2.intoArray(lanes, 2 * L);
            a3.intoArray(lanes, 3 * L);
            scores[so + j] = scale * dotTail(VecMath.sumLanes(lanes, 0), q, qo, r0, hv, hd);
            scores[so + j + 1] = scale * dotTail(VecMath.sumLanes(lanes, L), q, qo, r1, hv, hd);
            scores[so + j + 2] = scale * dotTail(VecMath.sumLanes(lanes, 2 * L), q, qo, r2, hv, hd);
            scores[so + j + 3] = scale * dotTail(VecMath.sumLanes(lanes, 3 * L), q, qo, r3, hv, hd);
        }
        for (; j < n; j++) {
            int r = row(s0 + j, wrap, ko);
            FloatVector acc = FloatVector.zero(S);
            for (int d = 0; d < hv; d += L) acc = FloatVector.fromArray(S, q, qo + d).fma(FloatVector.fromArray(S, k, r + d), acc);
            acc.intoArray(lanes, 0);
            scores[so + j] = scale * dotTail(VecMath.sumLanes(lanes, 0), q, qo, r, hv, hd);
        }
    }

    /** out = Σ_j p_j v_j in key order, four vectors of out at a time kept in registers. */
    private void weightedSum(int ko, int s0, int wrap, int n, int hd, float[] scores, int so, float[] out, int oo) {
        int hv = S.loopBound(hd), d = 0, j;
        for (; d + 4 * L <= hv; d += 4 * L) {
            FloatVector o0 = FloatVector.zero(S), o1 = FloatVector.zero(S), o2 = FloatVector.zero(S), o3 = FloatVector.zero(S);
            for (j = 0; j < n; j++) {
                int r = row(s0 + j, wrap, ko) + d;
                FloatVector p = FloatVector.broadcast(S, scores[so + j]);
                o0 = FloatVector.fromArray(S, v, r).fma(p, o0);
                o1 = FloatVector.fromArray(S, v, r + L).fma(p, o1);
                o2 = FloatVector.fromArray(S, v, r + 2 * L).fma(p, o2);
                o3 = FloatVector.fromArray(S, v, r + 3 * L).fma(p, o3);
            }
            o0.intoArray(out, oo + d);
            o1.intoArray(out, oo + d + L);
            o2.intoArray(out, oo + d + 2 * L);
            o3.intoArray(out, oo + d + 3 * L);
        }
        for (; d < hv; d += L) {
            FloatVector o = FloatVector.zero(S);
            for (j = 0; j < n; j++)
                o = FloatVector.fromArray(S, v, row(s0 + j, wrap, ko) + d).fma(FloatVector.broadcast(S, scores[so + j]), o);
            o.intoArray(out, oo + d);
        }
        for (; d < hd; d++) {
            float o = 0f;
            for (j = 0; j < n; j++) o += scores[so + j] * v[row(s0 + j, wrap, ko) + d];
            out[oo + d] = o;
        }
    }

    /** Offset of slot s (s < 2·wrap; s ≥ wrap wraps around the ring) plus ko. */
    private int row(int s, int wrap, int ko) {
        return (s < wrap ? s : s - wrap) * kvDim + ko;
    }

    /** s plus q·k over the elements [from, hd) a vector does not cover, added one by one. */
    private float dotTail(float s, float[] q, int qo, int r, int from, int hd) {
        for (int d = from; d < hd; d++) s += q[qo + d] * k[r + d];
        return s;
    }
}
