package org.blt4j.nn;

import java.util.List;
import org.blt4j.tensor.AttentionGrad;
import org.blt4j.tensor.AttnMask;
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
     * (The reference module returns x + attn and its caller adds x again.)
     */
    public Acts forwardResidual2(float[] x, int Sq, float[] kv, int Sk, AttnMask mask) {
        float[] xIn = x.clone();
        float[] xq = normQ.forward(x, Sq);
        float[] xkv = normKv.forward(kv, Sk);
        float[] q = wq.forward(xq, Sq);               // [Sq, nHeads*hd]
        float[] k = wk.forward(xkv, Sk);              // [Sk, nHeads*hd]
        float[] v = wv.forward(xkv, Sk);              // [Sk, nHeads*hd]
        float[] attn = new float[Sq * nHeads * headDim];
        Ops.attention(q, 0, k, 0, v, 0, attn, 0, Sq, Sk, nHeads, nHeads, headDim, mask);
        float[] out = wo.forward(attn, Sq);           // [Sq, dim]
        for (int i = 0; i < Sq * dim; i++) x[i] = 2f * x[i] + out[i];
        return new Acts(xIn, kv.clone(), xq, xkv, q, k, v, attn, Sq, Sk, mask);
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
