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
     * h / (nHeads / nKv). scores needs room for to - from + 1 floats.
     */
    public void attend(float[] q, int qOff, int from, int to, int nHeads, int nKv, int hd, float[] out, int outOff,
                       float[] scores) {
        int n = to - from + 1, group = nHeads / nKv;
        if (n <= 0) {
            java.util.Arrays.fill(out, outOff, outOff + nHeads * hd, 0f);
            return;
        }
        if (ring && n > cap) throw new IllegalArgumentException("range of " + n + " positions exceeds the window " + cap);
        float scale = (float) (1.0 / Math.sqrt(hd));
        int hv = S.loopBound(hd);
        for (int h = 0; h < nHeads; h++) {
            int qo = qOff + h * hd, ko = (h / group) * hd, oo = outOff + h * hd;
            for (int j = 0; j < n; j++) {
                int r = slot(from + j) * kvDim + ko;
                FloatVector acc = FloatVector.zero(S);
                int d = 0;
                for (; d < hv; d += L)
                    acc = FloatVector.fromArray(S, q, qo + d).fma(FloatVector.fromArray(S, k, r + d), acc);
                float dot = VecMath.sum(acc);
                for (; d < hd; d++) dot += q[qo + d] * k[r + d];
                scores[j] = scale * dot;
            }
            Ops.softmax(scores, 0, n);
            java.util.Arrays.fill(out, oo, oo + hd, 0f);
            for (int j = 0; j < n; j++) {
                int r = slot(from + j) * kvDim + ko;
                float p = scores[j];
                int d = 0;
                if (hv > 0) {
                    FloatVector pv = FloatVector.broadcast(S, p);
                    for (; d < hv; d += L)
                        FloatVector.fromArray(S, v, r + d).fma(pv, FloatVector.fromArray(S, out, oo + d)).intoArray(out, oo + d);
                }
                for (; d < hd; d++) out[oo + d] += p * v[r + d];
            }
        }
    }
}
