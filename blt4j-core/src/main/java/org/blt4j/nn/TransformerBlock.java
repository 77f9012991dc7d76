package org.blt4j.nn;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.Ops;

/** Pre-norm Llama block: h = x + Attn(RMSNorm(x)); out = h + FFN(RMSNorm(h)). */
public record TransformerBlock(RmsNorm attentionNorm, SelfAttention attention, RmsNorm ffnNorm, FeedForward feedForward, int dim) {

    /** Shapes of one block's stack: dim, heads, kv heads, head dim, FFN hidden, RoPE theta, norm eps. */
    public record Dims(int dim, int nHeads, int nKv, int headDim, int hidden, double ropeTheta, double normEps) {}

    public static TransformerBlock of(ParamStore p, String prefix, Dims d) {
        return new TransformerBlock(
                p.rmsNorm(prefix + "attention_norm.weight", d.dim(), d.normEps()),
                SelfAttention.of(p, prefix + "attention.", d.dim(), d.nHeads(), d.nKv(), d.headDim(), d.ropeTheta()),
                p.rmsNorm(prefix + "ffn_norm.weight", d.dim(), d.normEps()),
                FeedForward.of(p, prefix + "feed_forward.", d.dim(), d.hidden()),
                d.dim());
    }

    public static List<ParamStore.Spec> specs(String prefix, Dims d) {
        List<ParamStore.Spec> s = new ArrayList<>(SelfAttention.specs(prefix + "attention.", d.dim(), d.nHeads(), d.nKv(), d.headDim()));
        s.addAll(FeedForward.specs(prefix + "feed_forward.", d.dim(), d.hidden()));
        s.add(new ParamStore.Spec(prefix + "attention_norm.weight", d.dim()));
        s.add(new ParamStore.Spec(prefix + "ffn_norm.weight", d.dim()));
        return s;
    }

    /** What backward needs: the block's input, the residual stream after attention, both normed inputs. */
    public record Acts(float[] x, float[] normed1, SelfAttention.Acts attn, float[] h, float[] normed2, FeedForward.Acts ffn) {}

    /** In place: x[S, dim] ← block(x). */
    public Acts forward(float[] x, int S, int[] pos, AttnMask mask) {
        int n = S * dim;
        float[] xIn = x.clone();
        float[] normed1 = attentionNorm.forward(x, S);
        float[] delta = new float[n];
        SelfAttention.Acts attnActs = attention.forward(normed1, S, pos, mask, delta);
        Ops.addInPlace(x, 0, delta, 0, n);
        float[] h = x.clone();
        float[] normed2 = ffnNorm.forward(x, S);
        FeedForward.Acts ffnActs = feedForward.forward(normed2, S, delta);
        Ops.addInPlace(x, 0, delta, 0, n);
        return new Acts(xIn, normed1, attnActs, h, normed2, ffnActs);
    }

    /** In place: dx [S, dim] (the gradient w.r.t. the block's output) ← gradient w.r.t. its input. */
    public void backward(float[] dx, int S, Acts a, float[] grad) {
        int n = S * dim;
        // out = h + ffn(norm2(h))
        float[] dNormed = new float[n];
        feedForward.backward(a.normed2(), S, a.ffn(), dx, dNormed, grad);
        ffnNorm.backward(a.h(), dNormed, S, dx, grad);           // dx now = dL/dh
        // h = x + attn(norm1(x))
        java.util.Arrays.fill(dNormed, 0f);
        attention.backward(a.normed1(), S, a.attn(), dx, dNormed, grad);
        attentionNorm.backward(a.x(), dNormed, S, dx, grad);     // dx now = dL/dx
    }

    /** Applies the blocks one after the other; returns each block's activations. */
    public static List<Acts> forwardAll(List<TransformerBlock> blocks, float[] x, int S, int[] pos, AttnMask mask) {
        List<Acts> acts = new ArrayList<>(blocks.size());
        for (TransformerBlock b : blocks) acts.add(b.forward(x, S, pos, mask));
        return acts;
    }

    /** Backward through the blocks in reverse; dx [S, dim] in place. */
    public static void backwardAll(List<TransformerBlock> blocks, List<Acts> acts, float[] dx, int S, float[] grad) {
        for (int i = blocks.size() - 1; i >= 0; i--) blocks.get(i).backward(dx, S, acts.get(i), grad);
    }

    public static List<TransformerBlock> stack(ParamStore p, String prefix, int nLayers, Dims d) {
        List<TransformerBlock> out = new ArrayList<>();
        for (int i = 0; i < nLayers; i++) out.add(of(p, prefix + "layers." + i + ".", d));
        return List.copyOf(out);
    }

    /**
     * The specs of nLayers blocks; an absurd stack (n_layers 2^31 - 1) is refused before its list is built. Whether
     * the weights fit is the loader's question (mapped bf16/int8 weights take no heap; blt-7b's global stack alone is
     * more than 2^31 parameters).
     */
    public static List<ParamStore.Spec> stackSpecs(String prefix, int nLayers, Dims d) {
        double params = (double) nLayers * ParamStore.numel(specs(prefix + "layers.0.", d));
        if (params > MAX_STACK_PARAMS)
            throw new org.blt4j.Blt4jException(String.format("config: %d layers of dim %d (%slayers) are %.3g parameters"
                    + " (%.3g GB as fp32), more than blt4j can hold (at most %.0g): check n_layers and dim", nLayers, d.dim(),
                    prefix, params, params * 4 / 1e9, MAX_STACK_PARAMS));
        List<ParamStore.Spec> s = new ArrayList<>();
        for (int i = 0; i < nLayers; i++) s.addAll(specs(prefix + "layers." + i + ".", d));
        return s;
    }

    /** A stack past this many parameters (a terabyte-size checkpoint) is refused as a mistaken config. */
    static final double MAX_STACK_PARAMS = 2e11;

    /** Bytes of the block's matrices (its norms apart): what one step streams. */
    public long weightBytes() {
        return attention.wq().weightBytes() + attention.wk().weightBytes() + attention.wv().weightBytes()
                + attention.wo().weightBytes() + feedForward.w1().weightBytes() + feedForward.w2().weightBytes()
                + feedForward.w3().weightBytes();
    }
}
