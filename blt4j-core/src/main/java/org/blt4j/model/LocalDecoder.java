package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.nn.BlockStepper;
import org.blt4j.nn.CrossAttention;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.RmsNorm;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;

/**
 * Local decoder: starts from the encoder's byte states; before the first layer (or every layer) each byte
 * cross-attends to the k slots of its decoder patch (global output projected dim_global → dim*k); then local
 * block-causal layers, final RMSNorm and the output projection to 260 logits. Forms: a whole row ({@link #forward},
 * {@link #backward}) and one byte per sequence over KV caches ({@link Stepper#step}), the slots of each closed patch
 * added as cross-attention keys and values once ({@link Stepper#addPatches}).
 */
final class LocalDecoder {
    static final String P = "local_decoder.";
    private final BltArgs a;
    private final int dim, k, wDec;
    private final List<TransformerBlock> layers;
    private final List<CrossAttention> crossAttn;
    private final Linear patchProjection;          // [dim*k, dim_global]
    private final RmsNorm norm;
    private final Linear output;                   // [vocab, dim]

    LocalDecoder(BltArgs a, ParamStore p) {
        this.a = a;
        this.dim = a.dimLocalDecoder();
        this.k = a.crossAttnK();
        this.wDec = Masks.crossWindow(a.crossAttnWindowDecoder());
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

    // ---- the layer schedule, used by every form ----

    /** Whether layer l is preceded by cross-attention of the bytes to the slots: every layer, or the first. */
    boolean crossBefore(int l) {
        return a.crossAttnAllLayersDecoder() || l == 0;
    }

    /** Index of the cross-attention module before layer l (when {@link #crossBefore}). */
    int crossIndex(int l) {
        return a.crossAttnAllLayersDecoder() ? l : 0;
    }

    CrossAttention crossAt(int l) {
        return crossAttn.get(crossIndex(l));
    }

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

    /**
     * h [Σ N, dim] (encoder byte states of packed rows, modified in place), global [Σ P, dim_global] → logits
     * [Σ N, vocab].
     */
    Output forward(float[] h, PackedRows rows, float[] global) {
        int N = rows.numBytes(), nP = rows.numPatches();
        float[] slots = patchProjection.forward(global, nP);             // [P, dim*k] = [P*k, dim]
        AttnMask selfMask = Masks.localBlockCausal(rows.byteEnds(), a.localWindow());
        AttnMask crossMask = Masks.bytesAsQueries(rows.layout().decoderPatchIds(), rows.firstPatch(), k, wDec);
        int[] pos = rows.bytePos();
        List<TransformerBlock.Acts> layerActs = new ArrayList<>();
        CrossAttention.Acts[] crossActs = new CrossAttention.Acts[layers.size()];
        for (int l = 0; l < layers.size(); l++) {
            if (crossBefore(l)) crossActs[l] = crossAt(l).forwardResidual2(h, N, slots, nP * k, crossMask);
            layerActs.add(layers.get(l).forward(h, N, pos, selfMask));
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
        for (int l = layers.size() - 1; l >= 0; l--) {
            layers.get(l).backward(dh, N, acts.layers().get(l), grad);
            if (crossBefore(l)) crossAt(l).backward(dh, acts.cross()[l], dSlots, grad);
        }
        patchProjection.backward(acts.global(), dSlots, nP, dGlobal, grad);
        return dh;
    }

    // ---- one byte at a time ----

    /**
     * One sequence's state: the layers' KV caches, and per cross-attention module the keys and values of the slots of
     * the newest cross_attn_window_decoder closed patches (slot r of patch p at position p*k + r).
     */
    final class State {
        final KvCache[] kv = BlockStepper.caches(layers.size(), dims(a), a.localWindow());
        final KvCache[] slotKv = new KvCache[crossAttn.size()];
        final Masks.Cursor at = new Masks.Cursor();
        int patches;                                   // closed patches whose slots were added

        State() {
            for (int c = 0; c < slotKv.length; c++) slotKv[c] = new KvCache(crossAttn.get(c).nHeads() * crossAttn.get(c).headDim(), wDec * k);
        }
    }

    State newState() {
        return new State();
    }

    /** Fills a fresh state from a whole-row pass over ids [L], of whose patches the first {@code closed} are closed. */
    void prefill(State s, int[] ids, Acts acts, int closed) {
        int L = ids.length;
        s.at.advanceAll(Masks.eosFlags(ids, a.eosId()), L);
        BlockStepper.fill(s.kv, acts.layers(), L, a.localWindow());
        for (int l = 0; l < layers.size(); l++) {
            if (!crossBefore(l)) continue;
            CrossAttention.Acts ca = acts.cross()[l];
            int c = crossIndex(l), kvd = s.slotKv[c].kvDim();
            for (int i = Math.max(0, closed - wDec) * k; i < closed * k; i++) s.slotKv[c].put(i, ca.k(), i * kvd, ca.v(), i * kvd);
        }
        s.patches = closed;
    }

    /** Scratch of the step form: B rows at a time, each linear layer one product with M = B. Not thread-safe. */
    final class Stepper {
        private final BlockStepper blocks = new BlockStepper(dims(a));
        private final CrossAttention.Scratch[] crossScratch = new CrossAttention.Scratch[crossAttn.size()];
        private int rows;
        private float[] normed;
        private int[] pos, from, slotFrom, slotTo;
        private KvCache[] caches;

        Stepper() {
            for (int c = 0; c < crossScratch.length; c++) crossScratch[c] = crossAttn.get(c).new Scratch();
        }

        /**
         * Adds the slots of each row's newest closed patch as cross-attention keys and values, from its global
         * output g[j*dim_global ..], [Bc, dim_global].
         */
        void addPatches(State[] states, float[] g, int Bc) {
            float[] slots = patchProjection.forward(g, Bc);               // [Bc, k*dim] = [Bc*k, dim]
            float[] normed = new float[Bc * k * dim], kk = new float[Bc * k * dim], vv = new float[Bc * k * dim];
            for (int c = 0; c < crossAttn.size(); c++) {
                crossAttn.get(c).keysValues(slots, Bc * k, normed, kk, vv);
                for (int j = 0; j < Bc; j++)
                    for (int r = 0; r < k; r++)
                        states[j].slotKv[c].put(states[j].patches * k + r, kk, (j * k + r) * dim, vv, (j * k + r) * dim);
            }
            for (int j = 0; j < Bc; j++) states[j].patches++;
        }

        /**
         * Row r's next position holds ids[r]; h[r*dim ..] is the encoder's state of it (overwritten): logits[r*V ..]
         * ← the prediction of the byte after it (logits null: the layers only, for the caches).
         */
        void step(State[] states, int[] ids, float[] h, int B, float[] logits) {
            ensure(B);
            for (int r = 0; r < B; r++) {
                State s = states[r];
                pos[r] = s.at.advance(ids[r] == a.eosId());
                from[r] = s.at.from(a.localWindow());
                int dp = s.patches - 1;                                   // the newest closed patch
                slotFrom[r] = Math.max(0, dp - wDec + 1) * k;
                slotTo[r] = dp * k + k - 1;
            }
            for (int l = 0; l < layers.size(); l++) {
                if (crossBefore(l)) {
                    int c = crossIndex(l);
                    for (int r = 0; r < B; r++) caches[r] = states[r].slotKv[c];
                    crossAttn.get(c).stepResidual2(h, B, caches, slotFrom, slotTo, crossScratch[c]);
                }
                for (int r = 0; r < B; r++) caches[r] = states[r].kv[l];
                blocks.step(layers.get(l), h, B, pos, from, caches);
            }
            if (logits == null) return;
            norm.forward(h, 0, B, normed, 0);
            output.forward(normed, 0, B, logits, 0);
        }

        private void ensure(int B) {
            if (B <= rows) return;
            rows = Math.max(B, 2 * rows);
            normed = new float[rows * dim];
            pos = new int[rows];
            from = new int[rows];
            slotFrom = new int[rows];
            slotTo = new int[rows];
            caches = new KvCache[rows];
        }
    }

    Stepper stepper() {
        return new Stepper();
    }

    /** Bytes one step streams: the layers, the cross-attention queries and outputs, the output matrix. */
    long weightBytesPerByte() {
        long b = output.weightBytes();
        for (TransformerBlock t : layers) b += t.weightBytes();
        for (CrossAttention c : crossAttn) b += c.wq().weightBytes() + c.wo().weightBytes();
        return b;
    }

    /** Bytes adding one patch streams: the patch projection and the cross-attention keys and values. */
    long weightBytesPerPatch() {
        long b = patchProjection.weightBytes();
        for (CrossAttention c : crossAttn) b += c.wk().weightBytes() + c.wv().weightBytes();
        return b;
    }
}
