package org.blt4j.model;

import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.nn.BlockStepper;
import org.blt4j.nn.CrossAttention;
import org.blt4j.nn.Linear;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;
import org.blt4j.tensor.Ops;
import org.blt4j.tensor.RowTable;

/**
 * A BLT (and the entropy model that patches it) run one byte at a time with caches, giving the logits the full
 * forward pass would give for the newest position of the prefix patched with include_next_token (SPEC §5, §6).
 *
 * <p>Why this is exact: every part is causal. The entropy model's entropies of old positions never change, and
 * whether position p starts a patch depends only on what is known before p ({@link StartRule}), so a patch, once
 * the next one has started, is <em>closed</em> for good. The local encoder's byte states are causal; a closed patch's
 * slots (pooling and cross-attention over its own bytes — or the bytes of the last {@code cross_attn_window_encoder}
 * patches) are then fixed, and so is its global output (the global stack is causal over patches). Decoder position i
 * reads the global output of patch (patch of byte i+1) - 1, which is always closed: so each patch goes through the
 * global transformer exactly once, when it closes, and everything else is a step of one position per byte.
 *
 * <p>Per fed byte at position i: (1) entropy model one position → H[i]; decide whether i+1 starts a patch;
 * (2) encoder one position (token + hash n-gram embeddings, layers over KV caches); (3) if i+1 starts a patch, close
 * the patch holding i: its slots, one global position, the decoder's projection of it (kept as cross-attention keys
 * and values); (4) decoder one position (cross-attention to the slots of the newest closed patch(es), layers), final
 * norm, output.
 *
 * <p>Several sequences ({@link State}s) can be fed in lockstep: each goes one position further, with the linear
 * layers of all of them done as one matrix product (M = number of rows) and attention per row on its own caches.
 * Not thread-safe: scratch buffers are shared by the calls.
 */
public final class IncrementalBlt {

    /**
     * Whether position p ≥ 2 starts a patch, reading only ids [0, p) and entropies [0, p) (positions 0 and 1 always
     * start patches; max_patch_length is applied on top by {@link IncrementalBlt}).
     */
    public interface StartRule {
        boolean startsPatch(int[] tokens, float[] entropies, int p);
    }

    private final ByteLatentTransformer blt;
    private final BltArgs a;
    private final EntropyModel em;          // null when the rule needs no entropies
    private final StartRule rule;
    private final Integer maxPatchLength;
    private final int dim, k, V, eos, window, wEnc, wDec, dimG;
    private final boolean blockCausalGlobal;
    // the model's pieces
    private final RowTable tokEmb;
    private final List<RowTable> hashTables;
    private final int[] hashGroup, hashFunc;
    private final List<TransformerBlock> encLayers, globLayers, decLayers;
    private final List<CrossAttention> encCross, decCross;
    private final Linear encPatchProj, globInputProj, decPatchProj, decOutput;
    private final org.blt4j.nn.RmsNorm decNorm;
    private final int poolLayer;
    private final boolean[] encCrossAfter;     // encoder layer l is followed by cross-attention
    private final boolean[] decCrossBefore;    // decoder layer l is preceded by cross-attention
    private final BlockStepper encStep, globStep, decStep, emStep;
    // scratch
    private int rows;
    private float[] xe, xd, xm, emLogits, nq, cq, cattn, cout;
    private final float[] cscores;
    private int[] pos, from;
    private KvCache[] caches;

    /**
     * @param em             the entropy model, or null when the rule reads no entropies
     * @param maxPatchLength max_patch_length (null = none): a patch that reaches it closes
     */
    public IncrementalBlt(ByteLatentTransformer blt, EntropyModel em, StartRule rule, Integer maxPatchLength) {
        this.blt = blt;
        this.a = blt.args();
        this.em = em;
        this.rule = rule;
        this.maxPatchLength = maxPatchLength;
        if (maxPatchLength != null && maxPatchLength < 1) throw new Blt4jException("max_patch_length must be >= 1");
        if (a.nLayersLocalEncoder() < 1 || a.nLayersLocalDecoder() < 1)
            throw new Blt4jException("cached generation needs at least one local encoder and one local decoder layer");
        this.dim = a.dimLocalEncoder();
        this.k = a.crossAttnK();
        this.V = a.vocabSize();
        this.eos = a.eosId();
        this.window = a.localWindow();
        this.wEnc = a.crossAttnWindowEncoder() == null || a.crossAttnWindowEncoder() <= 0 ? 1 : a.crossAttnWindowEncoder();
        this.wDec = a.crossAttnWindowDecoder() == null || a.crossAttnWindowDecoder() <= 0 ? 1 : a.crossAttnWindowDecoder();
        this.dimG = a.dimGlobal();
        this.blockCausalGlobal = !"causal".equals(a.attnBiasType());
        this.tokEmb = blt.tokEmbeddings();
        this.hashTables = blt.hashTables();
        List<Integer> sizes = a.encoderHashByteGroupSize();
        this.hashGroup = new int[hashTables.size()];
        this.hashFunc = new int[hashTables.size()];
        for (int t = 0; t < hashTables.size(); t++) {
            hashFunc[t] = t / sizes.size();
            hashGroup[t] = sizes.get(t % sizes.size());
        }
        LocalEncoder enc = blt.encoder();
        GlobalTransformer glob = blt.global();
        LocalDecoder dec = blt.decoder();
        this.encLayers = enc.layers();
        this.encCross = enc.crossAttn();
        this.encPatchProj = enc.patchProjection();
        this.globLayers = glob.layers();
        this.globInputProj = glob.inputProjection();
        this.decLayers = dec.layers();
        this.decCross = dec.crossAttn();
        this.decPatchProj = dec.patchProjection();
        this.decNorm = dec.norm();
        this.decOutput = dec.output();
        int nEnc = encLayers.size(), nDec = decLayers.size();
        this.encCrossAfter = new boolean[nEnc];
        for (int l = 0; l < nEnc; l++) encCrossAfter[l] = a.crossAttnAllLayersEncoder() || l == nEnc - 1;
        this.poolLayer = a.crossAttnAllLayersEncoder() ? 0 : nEnc - 1;
        this.decCrossBefore = new boolean[nDec];
        for (int l = 0; l < nDec; l++) decCrossBefore[l] = a.crossAttnAllLayersDecoder() || l == 0;
        this.encStep = new BlockStepper(LocalEncoder.dims(a));
        this.globStep = new BlockStepper(GlobalTransformer.dims(a));
        this.decStep = new BlockStepper(LocalDecoder.dims(a));
        this.emStep = em == null ? null : new BlockStepper(EntropyModel.dims(em.args()));
        if (em != null && em.args().vocabSize() != V)
            throw new Blt4jException("entropy model vocabulary " + em.args().vocabSize() + " differs from the BLT's " + V);
        this.cscores = new float[wDec * k * (decCross.isEmpty() ? 1 : decCross.get(0).nHeads())];
        ensure(1);
    }

    public BltArgs args() { return a; }

    /**
     * Weight bytes one fed byte streams through the per-byte stacks: entropy model, encoder and decoder layers,
     * the decoder's cross-attention queries and outputs, the output layer, the embedding rows. (RMSNorm weights and
     * the KV caches are not counted.)
     */
    public long weightBytesPerByte() {
        long b = 0;
        if (em != null) {
            for (TransformerBlock t : em.layers()) b += blockBytes(t);
            b += em.output().weightBytes() + em.tokEmbeddings().rowBytes();
        }
        for (TransformerBlock t : encLayers) b += blockBytes(t);
        b += tokEmb.rowBytes();
        for (RowTable t : hashTables) b += t.rowBytes();
        for (TransformerBlock t : decLayers) b += blockBytes(t);
        for (CrossAttention c : decCross) b += c.wq().weightBytes() + c.wo().weightBytes();
        return b + decOutput.weightBytes();
    }

    /**
     * Weight bytes one closed patch streams: its slots (patch projection, encoder cross-attention), the global stack
     * (and its input projection), the decoder's patch projection and cross-attention keys and values.
     */
    public long weightBytesPerPatch() {
        long b = encPatchProj.weightBytes() + decPatchProj.weightBytes();
        if (globInputProj != null) b += globInputProj.weightBytes();
        for (CrossAttention c : encCross) b += c.wq().weightBytes() + c.wk().weightBytes() + c.wv().weightBytes() + c.wo().weightBytes();
        for (TransformerBlock t : globLayers) b += blockBytes(t);
        for (CrossAttention c : decCross) b += c.wk().weightBytes() + c.wv().weightBytes();
        return b;
    }

    private static long blockBytes(TransformerBlock t) {
        var at = t.attention();
        var ff = t.feedForward();
        return at.wq().weightBytes() + at.wk().weightBytes() + at.wv().weightBytes() + at.wo().weightBytes()
                + ff.w1().weightBytes() + ff.w2().weightBytes() + ff.w3().weightBytes();
    }

    private void ensure(int B) {
        if (B <= rows) return;
        rows = Math.max(B, 2 * rows);
        xe = new float[rows * dim];
        xd = new float[rows * dim];
        nq = new float[rows * dim];
        cq = new float[rows * dim];
        cattn = new float[rows * dim];
        cout = new float[rows * dim];
        if (em != null) {
            xm = new float[rows * em.args().dim()];
            emLogits = new float[rows * V];
        }
        pos = new int[rows];
        from = new int[rows];
        caches = new KvCache[rows];
    }

    /** One sequence's caches and patching state. */
    public final class State {
        int n;                                   // ids fed so far
        int[] tokens = new int[64];
        float[] H = new float[64];
        int emDoc, doc, globDoc;                 // first position of the current document: entropy model, local, global
        int[] starts = new int[16];              // starts[p] = first byte of patch p, for p = 0..nClosed (the open one)
        int nClosed;
        boolean openHasEos;
        boolean closesNext;                      // the newest fed byte ends its patch
        final KvCache[] emKv, encKv, globKv, decKv;
        final KvCache[] decCrossKv;              // per decoder cross-attention: slot keys/values, position p*k + r
        final Rows[] encStates;                  // per encoder layer with cross-attention: its byte states

        State() {
            emKv = new KvCache[em == null ? 0 : em.layers().size()];
            if (em != null) {
                TransformerBlock.Dims d = EntropyModel.dims(em.args());
                for (int l = 0; l < emKv.length; l++) emKv[l] = new KvCache(d.nKv() * d.headDim(), em.args().window());
            }
            encKv = new KvCache[encLayers.size()];
            for (int l = 0; l < encKv.length; l++) encKv[l] = new KvCache(dim, window);
            TransformerBlock.Dims gd = GlobalTransformer.dims(a);
            globKv = new KvCache[globLayers.size()];
            for (int l = 0; l < globKv.length; l++) globKv[l] = new KvCache(gd.nKv() * gd.headDim(), Integer.MAX_VALUE);
            decKv = new KvCache[decLayers.size()];
            for (int l = 0; l < decKv.length; l++) decKv[l] = new KvCache(dim, window);
            decCrossKv = new KvCache[decCross.size()];
            for (int c = 0; c < decCrossKv.length; c++) decCrossKv[c] = new KvCache(dim, wDec * k);
            encStates = new Rows[encLayers.size()];
            for (int l = 0; l < encStates.length; l++) if (encCrossAfter[l]) encStates[l] = new Rows(dim);
        }

        /** Number of ids fed. */
        public int length() { return n; }

        /** The ids fed so far. */
        public int[] tokens() { return Arrays.copyOf(tokens, n); }

        /** Entropies of the positions fed so far (empty without an entropy model). */
        public float[] entropies() { return em == null ? new float[0] : Arrays.copyOf(H, n); }

        /** Patches that are closed (their global output is computed). */
        public int closedPatches() { return nClosed; }

        /**
         * Patch lengths of the prefix with include_next_token, as the patcher gives them: the closed patches, then
         * the open one, which also holds the byte about to be predicted.
         */
        public int[] patchLengths() {
            int[] out = new int[nClosed + 1];
            for (int p = 0; p < nClosed; p++) out[p] = starts[p + 1] - starts[p];
            out[nClosed] = n - starts[nClosed] + 1;
            return out;
        }

        private void push(int id, float h) {
            if (n == tokens.length) {
                tokens = Arrays.copyOf(tokens, 2 * n);
                H = Arrays.copyOf(H, 2 * n);
            }
            tokens[n] = id;
            H[n] = h;
        }
    }

    public State newState() {
        return new State();
    }

    /**
     * Feeds ids[r] to rows[r] (the id at its next position) for r < B, and writes the logits predicting the byte after
     * it into logits[r*V ..] (logits may be null when no row needs them).
     */
    public void feed(State[] rows, int[] ids, int B, float[] logits) {
        ensure(B);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            if (ids[r] < 0 || ids[r] >= V)
                throw new Blt4jException("token id " + ids[r] + " is outside the vocabulary [0, " + V + ")");
            if (s.n > 0 && s.tokens[s.n - 1] == eos) s.doc = s.n;
            if (em != null && s.n > 0 && s.tokens[s.n - 1] == em.args().eosId()) s.emDoc = s.n;
        }
        entropyStep(rows, ids, B);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            int i = s.n, p = i + 1;
            s.n = p;
            if (ids[r] == eos) s.openHasEos = true;
            s.closesNext = p <= 1 || rule.startsPatch(s.tokens, s.H, p)
                    || (maxPatchLength != null && p - s.starts[s.nClosed] >= maxPatchLength);
        }
        encoderStep(rows, B);
        closePatches(rows, B);
        decoderStep(rows, B, logits);
    }

    /**
     * Feeds a whole prompt to a fresh state with the batched forward passes (one matrix product per layer over all its
     * positions instead of one per position), and returns the logits [V] predicting the byte after it. The state is
     * then the one {@link #feed} would have built id by id (its caches filled from the passes' keys and values), up
     * to float rounding: the prefix is patched with include_next_token and run exactly as the uncached reference runs
     * it.
     */
    public float[] prefill(State s, int[] prompt) {
        if (s.n != 0) throw new IllegalStateException("prefill needs a fresh state");
        int L = prompt.length;
        if (L == 0) throw new Blt4jException("empty prompt");
        for (int id : prompt)
            if (id < 0 || id >= V) throw new Blt4jException("token id " + id + " is outside the vocabulary [0, " + V + ")");
        // entropy model: entropies and its caches
        float[] H = new float[L];
        if (em != null) {
            EntropyModel.Pass ep = em.run(prompt, EntropyModel.positions(L));
            H = Entropy.ofLogits(ep.logits(), L, V);
            fillCaches(s.emKv, ep.acts(), 0, L, em.args().window());
        }
        s.tokens = Arrays.copyOf(prompt, Math.max(64, 2 * L));
        s.H = Arrays.copyOf(H, s.tokens.length);
        s.n = L;
        // patches: the starts the incremental rule gives for p = 1..L
        int P = 1;
        s.starts[0] = 0;
        for (int p = 1; p <= L; p++) {
            boolean start = p <= 1 || rule.startsPatch(s.tokens, s.H, p)
                    || (maxPatchLength != null && p - s.starts[P - 1] >= maxPatchLength);
            if (!start) continue;
            if (P == s.starts.length) s.starts = Arrays.copyOf(s.starts, 2 * P);
            s.starts[P++] = p;
        }
        int[] lengths = new int[P];
        for (int q = 0; q < P; q++) lengths[q] = (q + 1 < P ? s.starts[q + 1] : L + 1) - s.starts[q];
        s.nClosed = P - 1;                                        // the last patch holds byte L, not seen yet
        // documents
        for (int i = 0; i < L - 1; i++) {
            if (prompt[i] == eos) s.doc = i + 1;
            if (em != null && prompt[i] == em.args().eosId()) s.emDoc = i + 1;
        }
        for (int i = s.starts[s.nClosed]; i < L; i++) if (prompt[i] == eos) s.openHasEos = true;
        if (blockCausalGlobal)
            for (int q = 0; q < s.nClosed; q++)
                for (int i = s.starts[q]; i < s.starts[q + 1]; i++) if (prompt[i] == eos) s.globDoc = q + 1;
        // the BLT on the patched prompt
        ByteLatentTransformer.Pass bp = blt.run(prompt, lengths);
        LocalEncoder.Acts ea = bp.enc().acts();
        fillCaches(s.encKv, ea.layers(), 0, L, window);
        int keep = s.starts[Math.max(0, s.nClosed - wEnc + 1)];
        for (int l = 0; l < encLayers.size(); l++) {
            if (!encCrossAfter[l]) continue;
            float[] kv = ea.cross()[l].kv();                          // byte states after layer l
            s.encStates[l].first = keep;
            for (int i = keep; i < L; i++) s.encStates[l].add(kv, i * dim);
        }
        fillCaches(s.globKv, bp.glob().acts(), 0, s.nClosed, Integer.MAX_VALUE);
        LocalDecoder.Acts da = bp.dec().acts();
        fillCaches(s.decKv, da.layers(), 0, L, window);
        for (int l = 0, ci = 0; l < decLayers.size(); l++) {
            if (!decCrossBefore[l]) continue;
            var ca = da.cross()[l];
            for (int p = Math.max(0, s.nClosed - wDec); p < s.nClosed; p++)
                for (int q = 0; q < k; q++) s.decCrossKv[ci].put(p * k + q, ca.k(), (p * k + q) * dim, ca.v(), (p * k + q) * dim);
            ci++;
        }
        return Arrays.copyOfRange(bp.dec().logits(), (L - 1) * V, L * V);
    }

    /** caches[l] ← the keys and values of positions [max(from, to - window), to) of a batched pass's layer l. */
    private static void fillCaches(KvCache[] caches, List<TransformerBlock.Acts> acts, int from, int to, int window) {
        for (int l = 0; l < caches.length; l++) {
            var at = acts.get(l).attn();
            int kvd = caches[l].kvDim();
            for (int i = (int) Math.max(from, (long) to - window); i < to; i++) caches[l].put(i, at.k(), i * kvd, at.v(), i * kvd);
        }
    }

    /** Entropy model at each row's new position → H; also stores the id. */
    private void entropyStep(State[] rows, int[] ids, int B) {
        if (em == null) {
            for (int r = 0; r < B; r++) rows[r].push(ids[r], 0f);
            return;
        }
        int d = em.args().dim(), w = em.args().window();
        Arrays.fill(xm, 0, B * d, 0f);
        for (int r = 0; r < B; r++) {
            em.tokEmbeddings().addRowTo(ids[r], xm, r * d);
            State s = rows[r];
            pos[r] = s.n;
            from[r] = (int) Math.max(s.emDoc, (long) s.n - w + 1);
        }
        List<TransformerBlock> layers = em.layers();
        for (int l = 0; l < layers.size(); l++) {
            for (int r = 0; r < B; r++) caches[r] = rows[r].emKv[l];
            emStep.step(layers.get(l), xm, B, pos, from, caches);
        }
        em.norm().forward(xm, 0, B, xm, 0);
        em.output().forward(xm, 0, B, emLogits, 0);
        for (int r = 0; r < B; r++) rows[r].push(ids[r], (float) Entropy.ofRow(emLogits, r * V, V));
    }

    /** Local encoder at each row's newest position (already pushed) → xe; keeps the states cross-attention reads. */
    private void encoderStep(State[] rows, int B) {
        Arrays.fill(xe, 0, B * dim, 0f);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            int i = s.n - 1;
            tokEmb.addRowTo(s.tokens[i], xe, r * dim);
            for (int t = 0; t < hashTables.size(); t++)
                hashTables.get(t).addRowTo(HashNgrams.hashIdAt(s.tokens, i, hashGroup[t], hashFunc[t],
                        a.encoderHashByteGroupVocab()), xe, r * dim);
            pos[r] = i;
            from[r] = (int) Math.max(s.doc, (long) i - window + 1);
        }
        for (int l = 0; l < encLayers.size(); l++) {
            for (int r = 0; r < B; r++) caches[r] = rows[r].encKv[l];
            encStep.step(encLayers.get(l), xe, B, pos, from, caches);
            if (encCrossAfter[l]) for (int r = 0; r < B; r++) rows[r].encStates[l].add(xe, r * dim);
        }
    }

    /** Rows whose newest byte ends a patch: slots, one global position, decoder keys/values of the patch. */
    private void closePatches(State[] rows, int B) {
        int Bc = 0;
        for (int r = 0; r < B; r++) if (rows[r].closesNext) Bc++;
        if (Bc == 0) return;
        State[] closing = new State[Bc];
        int[] gpos = new int[Bc], gfrom = new int[Bc];
        KvCache[] gc = new KvCache[Bc];
        float[] slotsAll = new float[Bc * k * dim];
        int c = 0;
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            if (!s.closesNext) continue;
            closing[c] = s;
            System.arraycopy(encoderSlots(s), 0, slotsAll, c * k * dim, k * dim);
            gpos[c] = s.nClosed;
            gfrom[c] = blockCausalGlobal ? s.globDoc : 0;
            c++;
        }
        float[] xg = globInputProj == null ? slotsAll : globInputProj.forward(slotsAll, Bc);   // [Bc, dimG]
        for (int l = 0; l < globLayers.size(); l++) {
            for (int j = 0; j < Bc; j++) gc[j] = closing[j].globKv[l];
            globStep.step(globLayers.get(l), xg, Bc, gpos, gfrom, gc);
        }
        float[] ds = decPatchProj.forward(xg, Bc);                      // [Bc, k*dim] = [Bc*k, dim]
        float[] normed = new float[Bc * k * dim], kk = new float[Bc * k * dim], vv = new float[Bc * k * dim];
        for (int ci = 0; ci < decCross.size(); ci++) {
            CrossAttention ca = decCross.get(ci);
            ca.normKv().forward(ds, 0, Bc * k, normed, 0);
            ca.wk().forward(normed, 0, Bc * k, kk, 0);
            ca.wv().forward(normed, 0, Bc * k, vv, 0);
            for (int j = 0; j < Bc; j++)
                for (int q = 0; q < k; q++)
                    closing[j].decCrossKv[ci].put(closing[j].nClosed * k + q, kk, (j * k + q) * dim, vv, (j * k + q) * dim);
        }
        for (State s : closing) {
            int p = s.nClosed;
            if (s.openHasEos) s.globDoc = p + 1;
            s.nClosed = p + 1;
            if (s.nClosed >= s.starts.length) s.starts = Arrays.copyOf(s.starts, 2 * s.starts.length);
            s.starts[s.nClosed] = s.n;
            s.openHasEos = false;
            int keep = s.starts[Math.max(0, s.nClosed - wEnc + 1)];
            for (Rows st : s.encStates) if (st != null) st.dropBefore(keep);
        }
    }

    /** The k slots [k, dim] of s's open patch, which ends with its newest byte (LocalEncoder's pooling + cross-attn). */
    private float[] encoderSlots(State s) {
        int p = s.nClosed, st = s.starts[p], e = s.n;
        float[] pooled = pool(s.encStates[poolLayer], st, e);
        float[] slots = encPatchProj.forward(pooled, 1);                 // [k*dim]
        int kvFrom = s.starts[Math.max(0, p - wEnc + 1)], Sk = e - kvFrom;
        int[] f = new int[k], t = new int[k];
        Arrays.fill(t, Sk);
        AttnMask all = AttnMask.ranges(f, t);
        for (int l = 0; l < encLayers.size(); l++) {
            if (!encCrossAfter[l]) continue;
            float[] kv = s.encStates[l].copy(kvFrom, e);
            encCross.get(a.crossAttnAllLayersEncoder() ? l : 0).forwardResidual2(slots, k, kv, Sk, all);
        }
        return slots;
    }

    /** Pooling.pool for one patch: max / min / avg over the rows [st, e) (same order of operations). */
    private float[] pool(Rows h, int st, int e) {
        float[] out = new float[dim];
        String mode = a.downsamplingByPooling();
        switch (mode) {
            case "max", "min" -> {
                boolean max = mode.equals("max");
                System.arraycopy(h.data, h.offset(st), out, 0, dim);
                for (int i = st + 1; i < e; i++) {
                    int o = h.offset(i);
                    for (int d = 0; d < dim; d++) {
                        float v = h.data[o + d];
                        out[d] = max ? Math.max(out[d], v) : Math.min(out[d], v);
                    }
                }
            }
            case "avg" -> {
                for (int i = st; i < e; i++) {
                    int o = h.offset(i);
                    for (int d = 0; d < dim; d++) out[d] += h.data[o + d];
                }
                float inv = 1f / (e - st);
                for (int d = 0; d < dim; d++) out[d] *= inv;
            }
            default -> throw new IllegalArgumentException("pooling " + mode);
        }
        return out;
    }

    /** Local decoder at each row's newest position, from the encoder states in xe; logits [B, V]. */
    private void decoderStep(State[] rows, int B, float[] logits) {
        System.arraycopy(xe, 0, xd, 0, B * dim);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            pos[r] = s.n - 1;
            from[r] = (int) Math.max(s.doc, (long) s.n - 1 - window + 1);
        }
        for (int l = 0; l < decLayers.size(); l++) {
            if (decCrossBefore[l]) {
                int ci = a.crossAttnAllLayersDecoder() ? l : 0;
                CrossAttention ca = decCross.get(ci);
                ca.normQ().forward(xd, 0, B, nq, 0);
                ca.wq().forward(nq, 0, B, cq, 0);
                for (int r = 0; r < B; r++) {
                    State s = rows[r];
                    int dp = s.nClosed - 1;                           // the newest closed patch
                    rows[r].decCrossKv[ci].attend(cq, r * dim, Math.max(0, dp - wDec + 1) * k, dp * k + k - 1,
                            ca.nHeads(), ca.nHeads(), ca.headDim(), cattn, r * dim, cscores);
                }
                ca.wo().forward(cattn, 0, B, cout, 0);
                for (int i = 0; i < B * dim; i++) xd[i] = 2f * xd[i] + cout[i];
            }
            for (int r = 0; r < B; r++) caches[r] = rows[r].decKv[l];
            decStep.step(decLayers.get(l), xd, B, pos, from, caches);
        }
        if (logits == null) return;
        decNorm.forward(xd, 0, B, nq, 0);
        decOutput.forward(nq, 0, B, logits, 0);
    }

    /** Rows of byte states for positions [first, first + count), growing at the end and dropped from the front. */
    static final class Rows {
        final int dim;
        float[] data;
        int first, count;

        Rows(int dim) {
            this.dim = dim;
            this.data = new float[16 * dim];
        }

        int offset(int position) {
            return (position - first) * dim;
        }

        void add(float[] src, int off) {
            if ((count + 1) * dim > data.length) data = Arrays.copyOf(data, 2 * data.length);
            System.arraycopy(src, off, data, count * dim, dim);
            count++;
        }

        void dropBefore(int position) {
            int drop = Math.min(count, position - first);
            if (drop <= 0) return;
            System.arraycopy(data, drop * dim, data, 0, (count - drop) * dim);
            count -= drop;
            first += drop;
        }

        float[] copy(int s, int e) {
            return Arrays.copyOfRange(data, offset(s), offset(e));
        }
    }
}
