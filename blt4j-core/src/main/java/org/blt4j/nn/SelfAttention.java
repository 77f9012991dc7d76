package org.blt4j.nn;

import java.util.List;
import org.blt4j.tensor.AttentionGrad;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.Ops;

/**
 * Multi-head self-attention with grouped KV heads and interleaved RoPE (no biases).
 * wq [nHeads*hd, dim], wk/wv [nKv*hd, dim], wo [dim, nHeads*hd].
 */
public record SelfAttention(Linear wq, Linear wk, Linear wv, Linear wo, int nHeads, int nKv, int headDim, double ropeTheta) {

    public static SelfAttention of(ParamStore p, String prefix, int dim, int nHeads, int nKv, int headDim, double theta) {
        return new SelfAttention(
                p.linear(prefix + "wq.weight", nHeads * headDim, dim),
                p.linear(prefix + "wk.weight", nKv * headDim, dim),
                p.linear(prefix + "wv.weight", nKv * headDim, dim),
                p.linear(prefix + "wo.weight", dim, nHeads * headDim),
                nHeads, nKv, headDim, theta);
    }

    public static List<ParamStore.Spec> specs(String prefix, int dim, int nHeads, int nKv, int headDim) {
        return List.of(
                new ParamStore.Spec(prefix + "wq.weight", nHeads * headDim, dim),
                new ParamStore.Spec(prefix + "wk.weight", nKv * headDim, dim),
                new ParamStore.Spec(prefix + "wv.weight", nKv * headDim, dim),
                new ParamStore.Spec(prefix + "wo.weight", dim, nHeads * headDim));
    }

    /** What backward needs: q and k after RoPE, v, and the heads' output before wo. */
    public record Acts(float[] q, float[] k, float[] v, float[] attn, int[] pos, AttnMask mask) {}

    /** out[S, dim] = wo(softmax(rope(q) rope(k)ᵀ / sqrt(hd) + mask) v), x [S, dim] already normed. */
    public Acts forward(float[] x, int S, int[] pos, AttnMask mask, float[] out) {
        float[] q = wq.forward(x, S);                 // [S, nHeads*hd]
        float[] k = wk.forward(x, S);                 // [S, nKv*hd]
        float[] v = wv.forward(x, S);                 // [S, nKv*hd]
        Ops.rope(q, 0, S, nHeads, headDim, pos, ropeTheta);
        Ops.rope(k, 0, S, nKv, headDim, pos, ropeTheta);
        float[] attn = new float[S * nHeads * headDim];
        Ops.attention(q, 0, k, 0, v, 0, attn, 0, S, S, nHeads, nKv, headDim, mask);
        wo.forward(attn, 0, S, out, 0);
        return new Acts(q, k, v, attn, pos, mask);
    }

    /** dx[S, dim] += ∂/∂x given dOut [S, dim]; weight gradients into grad. */
    public void backward(float[] x, int S, Acts a, float[] dOut, float[] dx, float[] grad) {
        float[] dAttn = new float[S * nHeads * headDim];
        wo.backward(a.attn(), dOut, S, dAttn, grad);
        float[] dq = new float[a.q().length], dk = new float[a.k().length], dv = new float[a.v().length];
        AttentionGrad.backward(a.q(), a.k(), a.v(), dAttn, dq, dk, dv, S, S, nHeads, nKv, headDim, a.mask());
        AttentionGrad.ropeBackward(dq, 0, S, nHeads, headDim, a.pos(), ropeTheta);
        AttentionGrad.ropeBackward(dk, 0, S, nKv, headDim, a.pos(), ropeTheta);
        wq.backward(x, dq, S, dx, grad);
        wk.backward(x, dk, S, dx, grad);
        wv.backward(x, dv, S, dx, grad);
    }
}
