package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.nn.CrossAttention;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.RmsNorm;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;

/**
 * Local decoder: starts from the encoder's byte states; before the first layer (or every layer) each byte
 * cross-attends to the k slots of its decoder patch (global output projected dim_global → dim*k); then local
 * block-causal layers, final RMSNorm and the output projection to 260 logits.
 */
final class LocalDecoder {
    static final String P = "local_decoder.";
    private final BltArgs a;
    private final int dim, k;
    private final List<TransformerBlock> layers;
    private final List<CrossAttention> crossAttn;
    private final Linear patchProjection;          // [dim*k, dim_global]
    private final RmsNorm norm;
    private final Linear output;                   // [vocab, dim]

    LocalDecoder(BltArgs a, ParamStore p) {
        this.a = a;
        this.dim = a.dimLocalDecoder();
        this.k = a.crossAttnK();
        this.layers = TransformerBlock.stack(p, P, a.nLayersLocalDecoder(), dims(a));
        List<CrossAttention> ca = new ArrayList<>();
        for (int i = 0; i < nCross(a); i++)
            ca.add(CrossAttention.of(p, P + "cross_attn_layers." + i + ".", dim, a.crossAttnNheads(), a.normEps()));
        this.crossAttn = List.copyOf(ca);
        this.patchProjection = p.linear(P + "patch_embedding_projection.weight", dim * k, a.dimGlobal());
        this.norm = p.rmsNorm(P + "norm.weight", dim, a.normEps());
        this.output = p.linear(P + "output.weight", a.vocabSize(), dim);
    }

    static TransformerBlock.Dims dims(BltArgs a) {
        int d = a.dimLocalDecoder(), h = a.nHeadsLocalDecoder();
        return new TransformerBlock.Dims(d, h, h, d / h, a.ffnHidden(d), a.ropeTheta(), a.normEps());
    }

    static int nCross(BltArgs a) {
        return a.crossAttnAllLayersDecoder() ? a.nLayersLocalDecoder() : 1;
    }

    List<TransformerBlock> layers() { return layers; }

    List<CrossAttention> crossAttn() { return crossAttn; }

    Linear patchProjection() { return patchProjection; }

    RmsNorm norm() { return norm; }

    Linear output() { return output; }

    static List<ParamStore.Spec> specs(BltArgs a) {
        int d = a.dimLocalDecoder();
        List<ParamStore.Spec> s = new ArrayList<>(TransformerBlock.stackSpecs(P, a.nLayersLocalDecoder(), dims(a)));
        s.add(new ParamStore.Spec(P + "patch_embedding_projection.weight", d * a.crossAttnK(), a.dimGlobal()));
        s.add(new ParamStore.Spec(P + "norm.weight", d));
        for (int i = 0; i < nCross(a); i++) s.addAll(CrossAttention.specs(P + "cross_attn_layers." + i + ".", d, a.crossAttnNheads()));
        s.add(new ParamStore.Spec(P + "output.weight", a.vocabSize(), d));
        return s;
    }

    /** Activations for backward. */
    record Acts(float[] slots, float[] global, List<TransformerBlock.Acts> layers, CrossAttention.Acts[] cross,
                float[] hFinal, float[] normed, int N, int nP) {}

    record Output(float[] logits, Acts acts) {}

    /** h [N, dim] (encoder byte states, modified in place), global [P, dim_global] → logits [N, vocab]. */
    Output forward(float[] h, int[] tokens, float[] global, PatchLayout layout) {
        int N = tokens.length, nP = layout.numPatches();
        float[] slots = patchProjection.forward(global, nP);             // [P, dim*k] = [P*k, dim]
        AttnMask selfMask = Masks.localBlockCausal(Masks.eosFlags(tokens, a.eosId()), a.localWindow());
        AttnMask crossMask = Masks.bytesAsQueries(layout.decoderPatchIds(), k,
                a.crossAttnWindowDecoder() == null ? 0 : a.crossAttnWindowDecoder());
        int[] pos = EntropyModel.positions(N);
        List<TransformerBlock.Acts> layerActs = new ArrayList<>();
        CrossAttention.Acts[] crossActs = new CrossAttention.Acts[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            if (i == 0 || a.crossAttnAllLayersDecoder())
                crossActs[i] = crossAttn.get(i).forwardResidual2(h, N, slots, nP * k, crossMask);
            layerActs.add(layers.get(i).forward(h, N, pos, selfMask));
        }
        float[] normed = norm.forward(h, N);
        float[] logits = output.forward(normed, N);                       // [N, vocab]
        return new Output(logits, new Acts(slots, global, layerActs, crossActs, h, normed, N, nP));
    }

    /** dLogits [N, vocab] → returns dH [N, dim] w.r.t. the encoder byte states; dGlobal [P, dim_global] += . */
    float[] backward(Acts acts, float[] dLogits, float[] dGlobal, float[] grad) {
        int N = acts.N(), nP = acts.nP();
        float[] dNormed = new float[N * dim];
        output.backward(acts.normed(), dLogits, N, dNormed, grad);
        float[] dh = new float[N * dim];
        norm.backward(acts.hFinal(), dNormed, N, dh, grad);
        float[] dSlots = new float[acts.slots().length];
        for (int i = layers.size() - 1; i >= 0; i--) {
            layers.get(i).backward(dh, N, acts.layers().get(i), grad);
            if (acts.cross()[i] != null) crossAttn.get(i).backward(dh, acts.cross()[i], dSlots, grad);
        }
        patchProjection.backward(acts.global(), dSlots, nP, dGlobal, grad);
        return dh;
    }
}
