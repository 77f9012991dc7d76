package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.nn.BlockStepper;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;

/**
 * The latent global transformer over patches: input = the encoder's patch slots reshaped to [P, dim_enc*k],
 * projected to dim_global when the sizes differ; block-causal attention where a patch holding an EOS ends a document;
 * RoPE over patch positions; no final norm. Forms: all patches of a row ({@link #forward}, {@link #backward}) and one
 * patch per sequence over KV caches ({@link Stepper#step}), run when a patch closes.
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


    static List<ParamStore.Spec> specs(BltArgs a) {
        List<ParamStore.Spec> s = new ArrayList<>(TransformerBlock.stackSpecs(P, a.nLayersGlobal(), dims(a)));
        if (a.hasGlobalInputProjection())
            s.add(new ParamStore.Spec(P + "token_embedding_projection.weight", a.dimGlobal(), a.dimLocalEncoder() * a.crossAttnK()));
        return s;
    }

    /** Output: patch states [P, dim_global] and what backward needs. */
    record Output(float[] h, float[] input, List<TransformerBlock.Acts> acts) {}

    /**
     * slots [P, dim_enc*k] → patch states [P, dim_global]; endsDoc[p]: patch p is the last of its document for the
     * mask (a row's last patch; with block-causal attention, a patch holding an EOS: {@link PackedRows#patchEnds});
     * pos [P]: RoPE positions.
     */
    Output forward(float[] slots, int nP, boolean[] endsDoc, int[] pos) {
        float[] h = inputProjection == null ? slots.clone() : inputProjection.forward(slots, nP);
        AttnMask mask = Masks.localBlockCausal(endsDoc, Integer.MAX_VALUE);
        List<TransformerBlock.Acts> acts = TransformerBlock.forwardAll(layers, h, nP, pos, mask);
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

    // ---- one patch at a time ----

    /** One sequence's state: the layers' KV caches over its closed patches, and the newest patch's position. */
    final class State {
        final KvCache[] kv = BlockStepper.caches(layers.size(), dims(a), Integer.MAX_VALUE);
        final Masks.Cursor at = new Masks.Cursor();
    }

    State newState() {
        return new State();
    }

    /** Fills a fresh state from a whole-row pass, of which the first {@code closed} patches are kept. */
    void prefill(State s, Output out, boolean[] eosPatch, int closed) {
        BlockStepper.fill(s.kv, out.acts(), closed, Integer.MAX_VALUE);
        for (int p = 0; p < closed; p++) s.at.advance(endsDoc(eosPatch[p]));
    }

    /** A patch holding an EOS ends a document for the block-causal mask. */
    private boolean endsDoc(boolean holdsEos) {
        return holdsEos && a.globalBlockCausal();
    }

    /** Scratch of the step form: B rows at a time, each linear layer one product with M = B. Not thread-safe. */
    final class Stepper {
        private final BlockStepper blocks = new BlockStepper(dims(a));

        /**
         * Row j's next patch has slots[j*dim_enc*k ..] and holds an EOS when eos[j]: returns its patch states
         * [Bc, dim_global].
         */
        float[] step(State[] states, float[] slots, boolean[] eos, int Bc) {
            float[] h = inputProjection == null ? slots : inputProjection.forward(slots, Bc);     // [Bc, dim_global]
            int[] pos = new int[Bc], from = new int[Bc];
            KvCache[] caches = new KvCache[Bc];
            for (int j = 0; j < Bc; j++) {
                pos[j] = states[j].at.advance(endsDoc(eos[j]));
                from[j] = states[j].at.from(Integer.MAX_VALUE);
            }
            for (int l = 0; l < layers.size(); l++) {
                for (int j = 0; j < Bc; j++) caches[j] = states[j].kv[l];
                blocks.step(layers.get(l), h, Bc, pos, from, caches);
            }
            return h;
        }
    }

    Stepper stepper() {
        return new Stepper();
    }

    /** Bytes one patch streams: the input projection and the layers. */
    long weightBytesPerPatch() {
        long b = inputProjection == null ? 0 : inputProjection.weightBytes();
        for (TransformerBlock t : layers) b += t.weightBytes();
        return b;
    }
}
