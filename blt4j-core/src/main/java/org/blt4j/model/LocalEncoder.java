package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.nn.CrossAttention;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;

/**
 * Local encoder: byte embeddings (+ hash n-grams, added by the caller) → local block-causal layers; after the last layer
 * (or every layer) the patch slots cross-attend to the bytes of their patch. Slots start as the pooled byte states
 * projected by patch_embedding_projection (dim → dim*k).
 */
final class LocalEncoder {
    static final String P = "local_encoder.";
    private final BltArgs a;
    private final int dim, k;
    private final List<TransformerBlock> layers;
    private final List<CrossAttention> crossAttn;
    private final Linear patchProjection;          // [dim*k, dim]

    LocalEncoder(BltArgs a, ParamStore p) {
        this.a = a;
        this.dim = a.dimLocalEncoder();
        this.k = a.crossAttnK();
        this.layers = TransformerBlock.stack(p, P, a.nLayersLocalEncoder(), dims(a));
        List<CrossAttention> ca = new ArrayList<>();
        for (int i = 0; i < nCross(a); i++)
            ca.add(CrossAttention.of(p, P + "cross_attn_layers." + i + ".", dim, a.crossAttnNheads(), a.normEps()));
        this.crossAttn = List.copyOf(ca);
        this.patchProjection = p.linear(P + "patch_embedding_projection.weight", dim * k, dim);
    }

    static TransformerBlock.Dims dims(BltArgs a) {
        int d = a.dimLocalEncoder(), h = a.nHeadsLocalEncoder();
        return new TransformerBlock.Dims(d, h, h, d / h, a.ffnHidden(d), a.ropeTheta(), a.normEps());
    }

    static int nCross(BltArgs a) {
        return a.crossAttnAllLayersEncoder() ? a.nLayersLocalEncoder() : 1;
    }

    List<TransformerBlock> layers() { return layers; }

    List<CrossAttention> crossAttn() { return crossAttn; }

    Linear patchProjection() { return patchProjection; }

    static List<ParamStore.Spec> specs(BltArgs a) {
        int d = a.dimLocalEncoder();
        List<ParamStore.Spec> s = new ArrayList<>(TransformerBlock.stackSpecs(P, a.nLayersLocalEncoder(), dims(a)));
        s.add(new ParamStore.Spec(P + "patch_embedding_projection.weight", d * a.crossAttnK(), d));
        s.add(new ParamStore.Spec(P + "tok_embeddings.weight", a.vocabSize(), d));
        for (int i = 0; i < nCross(a); i++) s.addAll(CrossAttention.specs(P + "cross_attn_layers." + i + ".", d, a.crossAttnNheads()));
        return s;
    }

    /** Output of the encoder for one row: byte states h [N, dim], patch slots [P*k, dim], and what backward needs. */
    record Output(float[] h, float[] slots, Acts acts) {}

    /** Activations: per layer, the block's and (if applied after it) the cross-attention's; the pooling inputs. */
    record Acts(List<TransformerBlock.Acts> layers, CrossAttention.Acts[] cross, int poolLayer, float[] hPooled,
                float[] pooled, PatchLayout layout) {}

    /** h [N, dim] (embeddings in, modified in place) → byte states and patch slots. */
    Output forward(float[] h, int[] tokens, PatchLayout layout) {
        int N = tokens.length, nP = layout.numPatches();
        AttnMask selfMask = Masks.localBlockCausal(Masks.eosFlags(tokens, a.eosId()), a.localWindow());
        AttnMask crossMask = Masks.patchesAsQueries(layout.start(), layout.end(), k,
                a.crossAttnWindowEncoder() == null ? 0 : a.crossAttnWindowEncoder());
        int[] pos = EntropyModel.positions(N);
        float[] slots = null;                                            // [P*k, dim]
        List<TransformerBlock.Acts> layerActs = new ArrayList<>();
        CrossAttention.Acts[] crossActs = new CrossAttention.Acts[layers.size()];
        int poolLayer = -1;
        float[] hPooled = null, pooled = null;
        for (int i = 0; i < layers.size(); i++) {
            layerActs.add(layers.get(i).forward(h, N, pos, selfMask));
            boolean last = i == layers.size() - 1;
            if (last || a.crossAttnAllLayersEncoder()) {
                if (slots == null) {
                    poolLayer = i;
                    hPooled = h.clone();
                    pooled = Pooling.pool(a.downsamplingByPooling(), h, dim, layout);    // [P, dim]
                    slots = patchProjection.forward(pooled, nP);                          // [P, dim*k] = [P*k, dim]
                }
                CrossAttention ca = crossAttn.get(a.crossAttnAllLayersEncoder() ? i : 0);
                crossActs[i] = ca.forwardResidual2(slots, nP * k, h, N, crossMask);
            }
        }
        return new Output(h, slots, new Acts(layerActs, crossActs, poolLayer, hPooled, pooled, layout));
    }

    /**
     * Backward: dH [N, dim] (gradient w.r.t. the output byte states, in place → w.r.t. the input embeddings) and
     * dSlots [P*k, dim] (w.r.t. the output slots; consumed).
     */
    void backward(Acts acts, float[] dH, float[] dSlots, float[] grad) {
        int nP = acts.layout().numPatches();
        for (int i = layers.size() - 1; i >= 0; i--) {
            if (acts.cross()[i] != null) {
                CrossAttention ca = crossAttn.get(a.crossAttnAllLayersEncoder() ? i : 0);
                ca.backward(dSlots, acts.cross()[i], dH, grad);           // dSlots → w.r.t. slots before; dH += via kv
                if (i == acts.poolLayer()) {
                    float[] dPooled = new float[nP * dim];
                    patchProjection.backward(acts.pooled(), dSlots, nP, dPooled, grad);
                    Pooling.backward(a.downsamplingByPooling(), acts.hPooled(), dim, acts.layout(), acts.pooled(), dPooled, dH);
                }
            }
            layers.get(i).backward(dH, dH.length / dim, acts.layers().get(i), grad);
        }
    }
}
