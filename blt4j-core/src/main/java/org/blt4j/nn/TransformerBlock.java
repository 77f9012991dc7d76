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

    /** In place: x[S, dim] ← block(x). */
    public void forward(float[] x, int S, int[] pos, AttnMask mask) {
        int n = S * dim;
        float[] normed = attentionNorm.forward(x, S);
        float[] delta = new float[n];
        attention.forward(normed, S, pos, mask, delta);
        Ops.addInPlace(x, 0, delta, 0, n);
        ffnNorm.forward(x, 0, S, normed, 0);
        feedForward.forward(normed, S, delta);
        Ops.addInPlace(x, 0, delta, 0, n);
    }

    /** Applies the blocks one after the other. */
    public static void forwardAll(List<TransformerBlock> blocks, float[] x, int S, int[] pos, AttnMask mask) {
        for (TransformerBlock b : blocks) b.forward(x, S, pos, mask);
    }

    public static List<TransformerBlock> stack(ParamStore p, String prefix, int nLayers, Dims d) {
        List<TransformerBlock> out = new ArrayList<>();
        for (int i = 0; i < nLayers; i++) out.add(of(p, prefix + "layers." + i + ".", d));
        return List.copyOf(out);
    }

    public static List<ParamStore.Spec> stackSpecs(String prefix, int nLayers, Dims d) {
        List<ParamStore.Spec> s = new ArrayList<>();
        for (int i = 0; i < nLayers; i++) s.addAll(specs(prefix + "layers." + i + ".", d));
        return s;
    }
}
