package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;

/**
 * The latent global transformer over patches: input = the encoder's patch slots reshaped to [P, dim_enc*k],
 * projected to dim_global when the sizes differ; block-causal attention where a patch holding an EOS ends a document;
 * RoPE over patch positions; no final norm.
 */
final class GlobalTransformer {
    static final String P = "global_transformer.";
    private final BltArgs a;
    private final List<TransformerBlock> layers;
    private final Linear inputProjection;          // [dim_global, dim_enc*k] or null

    GlobalTransformer(BltArgs a, ParamStore p) {
        this.a = a;
        this.layers = TransformerBlock.stack(p, P, a.nLayersGlobal(), dims(a));
        this.inputProjection = a.hasGlobalInputProjection()
                ? p.linear(P + "token_embedding_projection.weight", a.dimGlobal(), a.dimLocalEncoder() * a.crossAttnK())
                : null;
    }

    static TransformerBlock.Dims dims(BltArgs a) {
        int d = a.dimGlobal();
        return new TransformerBlock.Dims(d, a.nHeadsGlobal(), a.nKvHeadsGlobal(), d / a.nHeadsGlobal(), a.ffnHidden(d),
                a.ropeTheta(), a.normEps());
    }

    List<TransformerBlock> layers() { return layers; }

    /** token_embedding_projection, or null when dim_enc * k == dim_global */
    Linear inputProjection() { return inputProjection; }

    static List<ParamStore.Spec> specs(BltArgs a) {
        List<ParamStore.Spec> s = new ArrayList<>(TransformerBlock.stackSpecs(P, a.nLayersGlobal(), dims(a)));
        if (a.hasGlobalInputProjection())
            s.add(new ParamStore.Spec(P + "token_embedding_projection.weight", a.dimGlobal(), a.dimLocalEncoder() * a.crossAttnK()));
        return s;
    }

    /** Output: patch states [P, dim_global] and what backward needs. */
    record Output(float[] h, float[] input, List<TransformerBlock.Acts> acts) {}

    /** slots [P, dim_enc*k] → patch states [P, dim_global]; eosPatch[p] marks patches that hold an EOS. */
    Output forward(float[] slots, int nP, boolean[] eosPatch) {
        float[] h = inputProjection == null ? slots.clone() : inputProjection.forward(slots, nP);
        AttnMask mask = "causal".equals(a.attnBiasType()) ? AttnMask.causal()
                : Masks.localBlockCausal(eosPatch, Integer.MAX_VALUE);
        List<TransformerBlock.Acts> acts = TransformerBlock.forwardAll(layers, h, nP, EntropyModel.positions(nP), mask);
        return new Output(h, slots, acts);
    }

    /** dH [P, dim_global] (consumed) → gradient w.r.t. the slots [P, dim_enc*k]. */
    float[] backward(Output out, float[] dH, int nP, float[] grad) {
        TransformerBlock.backwardAll(layers, out.acts(), dH, nP, grad);
        if (inputProjection == null) return dH;
        float[] dSlots = new float[out.input().length];
        inputProjection.backward(out.input(), dH, nP, dSlots, grad);
        return dSlots;
    }
}
