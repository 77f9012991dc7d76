package org.blt4j.nn;

import java.util.List;
import org.blt4j.tensor.AttentionGrad;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;
import org.blt4j.tensor.Ops;

/**
 * Cross-attention between bytes and patch slots (no RoPE, no biases).
 * q = wq(norm_q(x)), k = wk(norm_kv(kv)), v = wv(norm_kv(kv)); returns x + wo(attn) like the reference module,
 * and the caller adds x once more (new = 2x + attn). A query with no visible key gets attn = 0.
 */
public record CrossAttention(RmsNorm normQ, RmsNorm normKv, Linear wq, Linear wk, Linear wv, Linear wo,
                             int dim, int nHeads, int headDim) {

    public static CrossAttention of(ParamStore p, String prefix, int dim, int nHeads, double eps) {
        int hd = dim / nHeads;
        return new CrossAttention(
                p.rmsNorm(prefix + "cross_attn_norm_q.weight", dim, eps),
                p.rmsNorm(prefix + "cross_attn_norm_kv.weight", dim, eps),
                p.linear(prefix + "wq.weight", nHeads * hd, dim),
                p.linear(prefix + "wk.weight", nHeads * hd, dim),
                p.linear(prefix + "wv.weight", nHeads * hd, dim),
                p.linear(prefix + "wo.weight", dim, nHeads * hd),
                dim, nHeads, hd);
    }

    public static List<ParamStore.Spec> specs(String prefix, int dim, int nHeads) {
        int hd = dim / nHeads;
        return List.of(
                new ParamStore.Spec(prefix + "cross_attn_norm_q.weight", dim),
                new ParamStore.Spec(prefix + "cross_attn_norm_kv.weight", dim),
                new ParamStore.Spec(prefix + "wq.weight", nHeads * hd, dim),
                new ParamStore.Spec(prefix + "wk.weight", nHeads * hd, dim),
                new ParamStore.Spec(prefix + "wv.weight", nHeads * hd, dim),
                new ParamStore.Spec(prefix + "wo.weight", dim, nHeads * hd));
    }

    /** What backward needs: the query input x (before the update), kv, their normed forms, q, k, v, heads' output. */
    public record Acts(float[] x, float[] kv, float[] xq, float[] xkv, float[] q, float[] k, float[] v, float[] attn,
                       int Sq, int Sk, AttnMask mask) {}

    /**
     * In place: x[Sq, dim] ← 2x + attn(x, kv), kv [Sk, dim].
     * (The reference module returns x + attn and its caller adds x once more.)
     */
    public Acts forwardResidual2(float[] x, int Sq, float[] kv, int Sk, AttnMask mask) {
        float[] xIn = x.clone();
        float[] xq = new float[Sq * dim], q = new float[Sq * nHeads * headDim];
        query(x, Sq, xq, q);                           // [Sq, nHeads*hd]
        float[] xkv = new float[Sk * dim], k = new float[Sk * nHeads * headDim], v = new float[Sk * nHeads * headDim];
        keysValues(kv, Sk, xkv, k, v);                 // [Sk, nHeads*hd] each
        float[] attn = new float[Sq * nHeads * headDim];
        Ops.attention(q, 0, k, 0, v, 0, attn, 0, Sq, Sk, nHeads, nHeads, headDim, mask);
        float[] out = new float[Sq * dim];
        outputResidual2(x, Sq, attn, out);
        return new Acts(xIn, kv.clone(), xq, xkv, q, k, v, attn, Sq, Sk, mask);
    }

    /** q [n, nHeads*hd] = wq(norm_q(x)) of x [n, dim]; xq receives norm_q(x). */
    private void query(float[] x, int n, float[] xq, float[] q) {
        normQ.forward(x, 0, n, xq, 0);
        wq.forward(xq, 0, n, q, 0);
    }

    /** k, v [n, nHeads*hd] = wk(norm_kv(kv)), wv(norm_kv(kv)) of kv [n, dim]; xkv receives norm_kv(kv). */
    public void keysValues(float[] kv, int n, float[] xkv, float[] k, float[] v) {
        normKv.forward(kv, 0, n, xkv, 0);
        wk.forward(xkv, 0, n, k, 0);
        wv.forward(xkv, 0, n, v, 0);
    }

    /** x[n, dim] ← 2x + wo(attn); out receives wo(attn). */
    private void outputResidual2(float[] x, int n, float[] attn, float[] out) {
        wo.forward(attn, 0, n, out, 0);
        for (int i = 0; i < n * dim; i++) x[i] = 2f * x[i] + out[i];
    }

    /**
     * The step form of {@link #forwardResidual2} over keys and values computed before ({@link #keysValues}) and kept
     * in caches: in place, x[B, dim] ← 2x + attn(x, ·), query row r attending to the positions [from[r], to[r]] of
     * caches[r]. Allocation-free with its scratch.
     */
    public void stepResidual2(float[] x, int B, KvCache[] caches, int[] from, int[] to, Scratch s) {
        s.ensure(B, from, to);
        query(x, B, s.xq, s.q);
        int qd = nHeads * headDim;
        for (int r = 0; r < B; r++)
            caches[r].attend(s.q, r * qd, from[r], to[r], nHeads, nHeads, headDim, s.attn, r * qd, s.scores);
        outputResidual2(x, B, s.attn, s.out);
    }

    /** Scratch buffers of {@link #stepResidual2}, grown on demand; one per caller that steps. */
    public final class Scratch {
        private int rows;
        private float[] xq, q, attn, out, scores = new float[0];

        private void ensure(int B, int[] from, int[] to) {
            if (B > rows) {
                rows = Math.max(B, 2 * rows);
                xq = new float[rows * dim];
                q = new float[rows * nHeads * headDim];
                attn = new float[rows * nHeads * headDim];
                out = new float[rows * dim];
            }
            int keys = 1;
            for (int r = 0; r < B; r++) keys = Math.max(keys, to[r] - from[r] + 1);
            if (scores.length < keys * nHeads) scores = new float[Math.max(keys * nHeads, 2 * scores.length)];
        }
    }

    /**
     * Given dNew [Sq, dim] (gradient w.r.t. the updated x), replaces it in place by the gradient w.r.t. the old x and
     * adds the gradient w.r.t. kv into dKv [Sk, dim].
     */
    public void backward(float[] dNew, Acts a, float[] dKv, float[] grad) {
        int Sq = a.Sq(), Sk = a.Sk();
        float[] dAttn = new float[Sq * nHeads * headDim];
        wo.backward(a.attn(), dNew, Sq, dAttn, grad);
        float[] dq = new float[a.q().length], dk = new float[a.k().length], dv = new float[a.v().length];
        AttentionGrad.backward(a.q(), a.k(), a.v(), dAttn, dq, dk, dv, Sq, Sk, nHeads, nHeads, headDim, a.mask());
        float[] dxq = new float[Sq * dim], dxkv = new float[Sk * dim];
        wq.backward(a.xq(), dq, Sq, dxq, grad);
        wk.backward(a.xkv(), dk, Sk, dxkv, grad);
        wv.backward(a.xkv(), dv, Sk, dxkv, grad);
        for (int i = 0; i < Sq * dim; i++) dNew[i] *= 2f;
        normQ.backward(a.x(), dxq, Sq, dNew, grad);
        normKv.backward(a.kv(), dxkv, Sk, dKv, grad);
    }
}
