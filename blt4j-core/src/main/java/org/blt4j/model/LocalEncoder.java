package org.blt4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.nn.BlockStepper;
import org.blt4j.nn.CrossAttention;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;
import org.blt4j.tensor.RowTable;

/**
 * Local encoder: byte embeddings (token + hash n-grams, {@link ByteEmbedding}) → local block-causal layers; after the
 * last layer (or every layer) the patch slots cross-attend to the bytes of their patch. Slots start as the pooled byte
 * states projected by patch_embedding_projection (dim → dim*k).
 *
 * <p>Three forms: a whole row ({@link #forward}), its {@link #backward}, and one byte per sequence over KV caches
 * ({@link Stepper#step}) with "close the newest patch → its k slots" ({@link Stepper#closePatches}).
 */
final class LocalEncoder {
    static final String P = "local_encoder.";
    private final BltArgs a;
    private final int dim, k, wEnc;
    private final ByteEmbedding embedding;
    private final List<TransformerBlock> layers;
    private final List<CrossAttention> crossAttn;
    private final Linear patchProjection;          // [dim*k, dim]

    LocalEncoder(BltArgs a, ParamStore p, RowTable tokEmbeddings, List<RowTable> hashTables) {
        this.a = a;
        this.dim = a.dimLocalEncoder();
        this.k = a.crossAttnK();
        this.wEnc = Masks.crossWindow(a.crossAttnWindowEncoder());
        this.embedding = new ByteEmbedding(a, tokEmbeddings, hashTables);
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

    // ---- the layer schedule, used by every form ----

    /** Whether layer l is followed by cross-attention of the slots to the byte states: every layer, or the last. */
    boolean crossAfter(int l) {
        return a.crossAttnAllLayersEncoder() || l == layers.size() - 1;
    }

    /** The cross-attention module after layer l. */
    CrossAttention crossAt(int l) {
        return crossAttn.get(a.crossAttnAllLayersEncoder() ? l : 0);
    }

    /** The layer whose output states are pooled into the slots: the first one followed by cross-attention. */
    int poolLayer() {
        return a.crossAttnAllLayersEncoder() ? 0 : layers.size() - 1;
    }

    ByteEmbedding embedding() { return embedding; }

    static List<ParamStore.Spec> specs(BltArgs a) {
        int d = a.dimLocalEncoder();
        List<ParamStore.Spec> s = new ArrayList<>(TransformerBlock.stackSpecs(P, a.nLayersLocalEncoder(), dims(a)));
        s.add(new ParamStore.Spec(P + "patch_embedding_projection.weight", d * a.crossAttnK(), d));
        s.add(new ParamStore.Spec(P + "tok_embeddings.weight", a.vocabSize(), d));
        for (int i = 0; i < nCross(a); i++) s.addAll(CrossAttention.specs(P + "cross_attn_layers." + i + ".", d, a.crossAttnNheads()));
        return s;
    }

    // ---- whole row ----

    /** Output of the encoder for one row: byte states h [N, dim], patch slots [P*k, dim], and what backward needs. */
    record Output(float[] h, float[] slots, Acts acts) {}

    /** Activations: per layer, the block's and (if applied after it) the cross-attention's; the pooling inputs. */
    record Acts(List<TransformerBlock.Acts> layers, CrossAttention.Acts[] cross, float[] hPooled, float[] pooled,
                PatchLayout layout) {}

    /** Packed rows (one or more) → byte states [Σ N, dim] and patch slots [Σ P*k, dim]. */
    Output forward(PackedRows rows) {
        PatchLayout layout = rows.layout();
        int N = rows.numBytes(), nP = rows.numPatches();
        float[] h = new float[N * dim];                                  // [N, dim]
        for (int r = 0; r < rows.numRows(); r++)                         // hash n-grams stay inside each row
            for (int i = 0, b0 = rows.byteStart()[r]; i < rows.rows()[r].length; i++)
                embedding.addAt(rows.rows()[r], i, h, (b0 + i) * dim);
        AttnMask selfMask = Masks.localBlockCausal(rows.byteEnds(), a.localWindow());
        AttnMask crossMask = Masks.patchesAsQueries(layout.start(), layout.end(), rows.firstPatch(), k, wEnc);
        int[] pos = rows.bytePos();
        float[] slots = null;                                            // [P*k, dim]
        List<TransformerBlock.Acts> layerActs = new ArrayList<>();
        CrossAttention.Acts[] crossActs = new CrossAttention.Acts[layers.size()];
        float[] hPooled = null, pooled = null;
        for (int l = 0; l < layers.size(); l++) {
            layerActs.add(layers.get(l).forward(h, N, pos, selfMask));
            if (!crossAfter(l)) continue;
            if (l == poolLayer()) {
                hPooled = h.clone();
                pooled = Pooling.pool(a.downsamplingByPooling(), h, dim, layout);    // [P, dim]
                slots = patchProjection.forward(pooled, nP);                          // [P, dim*k] = [P*k, dim]
            }
            crossActs[l] = crossAt(l).forwardResidual2(slots, nP * k, h, N, crossMask);
        }
        return new Output(h, slots, new Acts(layerActs, crossActs, hPooled, pooled, layout));
    }

    /**
     * Backward: dH [N, dim] (gradient w.r.t. the output byte states, in place → w.r.t. the embeddings, which it then
     * adds into grad) and dSlots [P*k, dim] (w.r.t. the output slots; consumed).
     */
    void backward(Acts acts, PackedRows rows, float[] dH, float[] dSlots, float[] grad, int tokOffset, int[] tableOffsets) {
        int nP = acts.layout().numPatches();
        for (int l = layers.size() - 1; l >= 0; l--) {
            if (crossAfter(l)) {
                crossAt(l).backward(dSlots, acts.cross()[l], dH, grad);    // dSlots → w.r.t. slots before; dH += via kv
                if (l == poolLayer()) {
                    float[] dPooled = new float[nP * dim];
                    patchProjection.backward(acts.pooled(), dSlots, nP, dPooled, grad);
                    Pooling.backward(a.downsamplingByPooling(), acts.hPooled(), dim, acts.layout(), acts.pooled(), dPooled, dH);
                }
            }
            layers.get(l).backward(dH, dH.length / dim, acts.layers().get(l), grad);
        }
        for (int r = 0; r < rows.numRows(); r++)
            embedding.backward(rows.rows()[r], dH, rows.byteStart()[r] * dim, grad, tokOffset, tableOffsets);
    }

    // ---- one byte at a time ----

    /**
     * One sequence's state: its ids, the layers' KV caches, the patches (starts[p] = first byte of patch p, for
     * p ≤ closed; patch {@code closed} is the open one) and, per layer followed by cross-attention, the byte states
     * the next slots read (from the first byte of the cross_attn_window_encoder patches that end with the open one).
     */
    final class State {
        int[] ids = new int[64];
        final KvCache[] kv = BlockStepper.caches(layers.size(), dims(a), a.localWindow());
        final Masks.Cursor at = new Masks.Cursor();
        int[] starts = new int[16];
        int closed;
        final ByteRows[] kept = new ByteRows[layers.size()];

        State() {
            for (int l = 0; l < kept.length; l++) if (crossAfter(l)) kept[l] = new ByteRows(dim);
        }

        /** Number of ids seen. */
        int length() { return at.pos() + 1; }

        /** First byte whose states the slots of the open patch read. */
        int keepFrom() {
            return starts[Math.max(0, closed - wEnc + 1)];
        }

        private void push(int id) {
            int n = length();
            if (n == ids.length) ids = Arrays.copyOf(ids, 2 * n);
            ids[n] = id;
        }

        private void startPatch(int position) {
            if (closed + 1 == starts.length) starts = Arrays.copyOf(starts, 2 * starts.length);
            starts[++closed] = position;
        }
    }

    State newState() {
        return new State();
    }

    /**
     * Fills a fresh state from a whole-row pass over ids [L] whose patches start at starts[0 .. P) (the last one open,
     * it holds the byte after the row).
     */
    void prefill(State s, int[] ids, int[] starts, int P, Acts acts) {
        int L = ids.length;
        s.ids = Arrays.copyOf(ids, Math.max(64, 2 * L));
        s.at.advanceAll(Masks.eosFlags(ids, a.eosId()), L);
        BlockStepper.fill(s.kv, acts.layers(), L, a.localWindow());
        for (int q = 1; q < P; q++) s.startPatch(starts[q]);
        int keep = s.keepFrom();
        for (int l = 0; l < layers.size(); l++) {
            if (!crossAfter(l)) continue;
            float[] h = acts.cross()[l].kv();                            // byte states after layer l
            s.kept[l].first = keep;
            for (int i = keep; i < L; i++) s.kept[l].add(h, i * dim);
        }
    }

    /** Scratch of the step form: B rows at a time, each linear layer one product with M = B. Not thread-safe. */
    final class Stepper {
        private final BlockStepper blocks = new BlockStepper(dims(a));
        private int rows;
        private int[] pos, from;
        private KvCache[] caches;

        /** Row r's next position holds ids[r] (checked by the caller): h[r*dim ..] ← its byte state. */
        void step(State[] states, int[] ids, int B, float[] h) {
            ensure(B);
            Arrays.fill(h, 0, B * dim, 0f);
            for (int r = 0; r < B; r++) {
                State s = states[r];
                s.push(ids[r]);
                pos[r] = s.at.advance(ids[r] == a.eosId());
                from[r] = s.at.from(a.localWindow());
                embedding.addAt(s.ids, pos[r], h, r * dim);
            }
            for (int l = 0; l < layers.size(); l++) {
                for (int r = 0; r < B; r++) caches[r] = states[r].kv[l];
                blocks.step(layers.get(l), h, B, pos, from, caches);
                if (crossAfter(l)) for (int r = 0; r < B; r++) states[r].kept[l].add(h, r * dim);
            }
        }

        /**
         * Closes each row's open patch, which ends with its newest byte: returns the k slots of each, [Bc, k*dim]
         * (pooling, patch projection, cross-attention to the patch's bytes), and opens the next patch.
         */
        float[] closePatches(State[] states, int Bc) {
            float[] slots = new float[Bc * k * dim];
            for (int j = 0; j < Bc; j++) {
                State s = states[j];
                int st = s.starts[s.closed], e = s.length(), kvFrom = s.keepFrom(), Sk = e - kvFrom;
                ByteRows pooledRows = s.kept[poolLayer()];
                float[] pooled = new float[dim];
                Pooling.poolRows(a.downsamplingByPooling(), pooledRows.data, dim, st - pooledRows.first,
                        e - pooledRows.first, pooled, 0);
                float[] x = patchProjection.forward(pooled, 1);           // [k*dim] = [k, dim]
                int[] f = new int[k], t = new int[k];
                Arrays.fill(t, Sk);
                AttnMask all = AttnMask.ranges(f, t);
                for (int l = poolLayer(); l < layers.size(); l++)
                    if (crossAfter(l)) crossAt(l).forwardResidual2(x, k, s.kept[l].copy(kvFrom, e), Sk, all);
                System.arraycopy(x, 0, slots, j * k * dim, k * dim);
                s.startPatch(e);
                for (ByteRows rows : s.kept) if (rows != null) rows.dropBefore(s.keepFrom());
            }
            return slots;
        }

        private void ensure(int B) {
            if (B <= rows) return;
            rows = Math.max(B, 2 * rows);
            pos = new int[rows];
            from = new int[rows];
            caches = new KvCache[rows];
        }
    }

    Stepper stepper() {
        return new Stepper();
    }

    /** Bytes one step streams: the layers and the embedding rows. */
    long weightBytesPerByte() {
        long b = embedding.rowBytesPerPosition();
        for (TransformerBlock t : layers) b += t.weightBytes();
        return b;
    }

    /** Bytes closing one patch streams: the patch projection and the cross-attention matrices. */
    long weightBytesPerPatch() {
        long b = patchProjection.weightBytes();
        for (CrossAttention c : crossAttn) b += c.wq().weightBytes() + c.wk().weightBytes() + c.wv().weightBytes() + c.wo().weightBytes();
        return b;
    }
}
