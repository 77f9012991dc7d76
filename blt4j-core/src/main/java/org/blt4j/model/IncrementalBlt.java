package org.blt4j.model;

import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.patch.PatchStream;
import org.blt4j.patch.Patcher;

/**
 * A BLT (and the entropy model that patches it) run one byte at a time with caches, giving the logits the full
 * forward pass would give for the newest position of the prefix patched with include_next_token (docs/computation.md §5, §6). It
 * only orchestrates: each component steps itself ({@link EntropyModel.Stepper}, {@link LocalEncoder.Stepper},
 * {@link GlobalTransformer.Stepper}, {@link LocalDecoder.Stepper}) and the patcher decides patch starts
 * ({@link PatchStream}).
 *
 * <p>Why this is exact: every part is causal. The entropy model's entropies of old positions never change, and
 * whether position p starts a patch depends only on what is known before p, so a patch, once the next one has
 * started, is <em>closed</em> for good. The local encoder's byte states are causal; a closed patch's slots (pooling
 * and cross-attention over its own bytes — or the bytes of the last {@code cross_attn_window_encoder} patches) are
 * then fixed, and so is its global output (the global stack is causal over patches). Decoder position i reads the
 * global output of patch (patch of byte i+1) - 1, which is always closed: so each patch goes through the global
 * transformer exactly once, when it closes, and everything else is a step of one position per byte.
 *
 * <p>Per fed byte at position i: (1) entropy model one position → H[i]; the patcher decides whether i+1 starts a
 * patch; (2) encoder one position; (3) if i+1 starts a patch, close the patch holding i: its slots, one global
 * position, the decoder's keys and values of it; (4) decoder one position → logits.
 *
 * <p>Several sequences ({@link State}s) can be fed in lockstep: each goes one position further, with the linear
 * layers of all of them done as one matrix product (M = number of rows) and attention per row on its own caches.
 * Not thread-safe: the steppers' scratch buffers are shared by the calls.
 */
public final class IncrementalBlt {
    private final ByteLatentTransformer blt;
    private final EntropyModel em;          // null when the patcher reads no entropies
    private final Patcher patcher;
    private final int V, dim, eos;
    private final EntropyModel.Stepper emStep;
    private final LocalEncoder.Stepper encStep;
    private final GlobalTransformer.Stepper globStep;
    private final LocalDecoder.Stepper decStep;
    // scratch, [rows]
    private int rows;
    private float[] H, h;
    private int[] idRows;
    private EntropyModel.State[] emRows;
    private LocalEncoder.State[] encRows;
    private LocalDecoder.State[] decRows;

    /**
     * @param em      the entropy model; unused (may be null) when the patcher reads no entropies
     * @param patcher an incremental patcher ({@link Patcher#isIncremental()})
     */
    public IncrementalBlt(ByteLatentTransformer blt, EntropyModel em, Patcher patcher) {
        if (!patcher.isIncremental())
            throw new Blt4jException("cached generation needs an incremental patcher, got " + patcher
                    + "; generate with NoCacheGenerator");
        if (patcher.needsEntropies() && em == null) throw new Blt4jException("entropy patching needs an entropy model");
        BltArgs a = blt.args();
        if (a.nLayersLocalEncoder() < 1 || a.nLayersLocalDecoder() < 1)
            throw new Blt4jException("cached generation needs at least one local encoder and one local decoder layer");
        this.blt = blt;
        this.em = patcher.needsEntropies() ? em : null;
        this.patcher = patcher;
        this.V = a.vocabSize();
        this.dim = a.dimLocalEncoder();
        this.eos = a.eosId();
        if (this.em != null && em.args().vocabSize() != V)
            throw new Blt4jException("entropy model vocabulary " + em.args().vocabSize() + " differs from the BLT's " + V);
        this.emStep = this.em == null ? null : this.em.stepper();
        this.encStep = blt.encoder().stepper();
        this.globStep = blt.global().stepper();
        this.decStep = blt.decoder().stepper();
        ensure(1);
    }

    public BltArgs args() { return blt.args(); }

    /**
     * Weight bytes one fed byte streams through the per-byte stacks: entropy model, encoder and decoder layers,
     * the decoder's cross-attention queries and outputs, the output layers, the embedding rows. (RMSNorm weights and
     * the KV caches are not counted.)
     */
    public long weightBytesPerByte() {
        return (em == null ? 0 : em.weightBytesPerStep()) + blt.encoder().weightBytesPerByte()
                + blt.decoder().weightBytesPerByte();
    }

    /**
     * Weight bytes one closed patch streams: its slots (patch projection, encoder cross-attention), the global stack
     * (and its input projection), the decoder's patch projection and cross-attention keys and values.
     */
    public long weightBytesPerPatch() {
        return blt.encoder().weightBytesPerPatch() + blt.global().weightBytesPerPatch() + blt.decoder().weightBytesPerPatch();
    }

    private void ensure(int B) {
        if (B <= rows) return;
        rows = Math.max(B, 2 * rows);
        H = new float[rows];
        h = new float[rows * dim];
        idRows = new int[rows];
        emRows = new EntropyModel.State[rows];
        encRows = new LocalEncoder.State[rows];
        decRows = new LocalDecoder.State[rows];
    }

    /** One sequence's states: each component's caches, the patcher's, the entropies. */
    public final class State {
        final EntropyModel.State em = IncrementalBlt.this.em == null ? null : IncrementalBlt.this.em.newState();
        final LocalEncoder.State enc = blt.encoder().newState();
        final GlobalTransformer.State glob = blt.global().newState();
        final LocalDecoder.State dec = blt.decoder().newState();
        final PatchStream patches = patcher.incremental();
        float[] entropies = new float[64];
        boolean openHasEos;                      // the open patch holds an EOS
        boolean closesNext;                      // the newest fed byte ends its patch
        float[] hFed;                            // [dim] the encoder's state of the newest id, between front and back
        int idFed = -1;                          // the newest id, between front and back

        /** Whether the newest fed id ends its patch (then {@link #back} runs the global stack for it). */
        public boolean closesPatch() { return closesNext; }

        /** Number of ids fed. */
        public int length() { return enc.length(); }

        /** The ids fed so far. */
        public int[] tokens() { return Arrays.copyOf(enc.ids, length()); }

        /** Entropies of the positions fed so far (empty without an entropy model). */
        public float[] entropies() { return em == null ? new float[0] : Arrays.copyOf(entropies, length()); }

        /** Patches that are closed (their global output is computed). */
        public int closedPatches() { return enc.closed; }

        /**
         * Patch lengths of the prefix with include_next_token, as the patcher gives them: the closed patches, then
         * the open one, which also holds the byte about to be predicted.
         */
        public int[] patchLengths() {
            int[] out = new int[enc.closed + 1];
            for (int p = 0; p < enc.closed; p++) out[p] = enc.starts[p + 1] - enc.starts[p];
            out[enc.closed] = length() - enc.starts[enc.closed] + 1;
            return out;
        }

        /** Records the newest id and its entropy; decides whether the next position starts a patch. */
        private void decide(int id, float entropy) {
            int i = (int) patches.fed();        // ids fed before this one
            if (i == entropies.length) entropies = Arrays.copyOf(entropies, 2 * i);
            entropies[i] = entropy;
            if (id == eos) openHasEos = true;
            closesNext = patches.next(id, entropy);
        }
    }

    public State newState() {
        return new State();
    }

    /**
     * Feeds ids[r] to rows[r] (the id at its next position) for r &lt; B, and writes the logits predicting the byte after
     * it into logits[r*V ..] (logits may be null when no row needs them). The same as {@link #front} then
     * {@link #back} on the same rows.
     */
    public void feed(State[] rows, int[] ids, int B, float[] logits) {
        front(rows, ids, B);
        back(rows, B, logits);
    }

    /**
     * The first half of {@link #feed}: the entropy model and the encoder take ids[r] for rows[r], r &lt; B, and the
     * patcher decides whether it ends its patch ({@link State#closesPatch()}). The rows must then go through
     * {@link #back}, in any groups and at any later time (a row waits meanwhile), before they are fed again. Lets a
     * caller gather the rows that close a patch so that the global stack reads its weights once for several of them.
     */
    public void front(State[] rows, int[] ids, int B) {
        ensure(B);
        for (int r = 0; r < B; r++) {
            if (ids[r] < 0 || ids[r] >= V)
                throw new Blt4jException("token id " + ids[r] + " is outside the vocabulary [0, " + V + ")");
            if (rows[r].idFed >= 0) throw new IllegalStateException("row " + r + " is waiting for back()");
            emRows[r] = rows[r].em;
            encRows[r] = rows[r].enc;
        }
        if (em != null) emStep.step(emRows, ids, B, H);
        for (int r = 0; r < B; r++) rows[r].decide(ids[r], em == null ? 0f : H[r]);
        encStep.step(encRows, ids, B, h);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            if (s.hFed == null) s.hFed = new float[dim];
            System.arraycopy(h, r * dim, s.hFed, 0, dim);
            s.idFed = ids[r];
        }
    }

    /**
     * The second half of {@link #feed} for rows that went through {@link #front}: the patches they close (slots, one
     * global position, the decoder's keys and values) and the decoder, logits into logits[r*V ..] for r &lt; B.
     */
    public void back(State[] rows, int B, float[] logits) {
        ensure(B);
        for (int r = 0; r < B; r++) {
            State s = rows[r];
            if (s.idFed < 0) throw new IllegalStateException("row " + r + " has not been through front()");
            decRows[r] = s.dec;
            idRows[r] = s.idFed;
            System.arraycopy(s.hFed, 0, h, r * dim, dim);
            s.idFed = -1;
        }
        closePatches(rows, B);
        decStep.step(decRows, idRows, h, B, logits);
    }

    /** Rows whose newest byte ends a patch: its slots, one global position, the decoder's keys and values of it. */
    private void closePatches(State[] rows, int B) {
        int Bc = 0;
        for (int r = 0; r < B; r++) if (rows[r].closesNext) Bc++;
        if (Bc == 0) return;
        LocalEncoder.State[] enc = new LocalEncoder.State[Bc];
        GlobalTransformer.State[] glob = new GlobalTransformer.State[Bc];
        LocalDecoder.State[] dec = new LocalDecoder.State[Bc];
        boolean[] eosPatch = new boolean[Bc];
        for (int r = 0, j = 0; r < B; r++) {
            State s = rows[r];
            if (!s.closesNext) continue;
            enc[j] = s.enc;
            glob[j] = s.glob;
            dec[j] = s.dec;
            eosPatch[j++] = s.openHasEos;
            s.openHasEos = false;
        }
        float[] slots = encStep.closePatches(enc, Bc);                   // [Bc, k*dim]
        float[] g = globStep.step(glob, slots, eosPatch, Bc);            // [Bc, dim_global]
        decStep.addPatches(dec, g, Bc);
    }

    /**
     * Feeds a whole prompt to a fresh state with the batched forward passes (one matrix product per layer over all its
     * positions instead of one per position), and returns the logits [V] predicting the byte after it. The state is
     * then the one {@link #feed} would have built id by id (its caches filled from the passes' keys and values), up
     * to float rounding: the prefix is patched with include_next_token and run exactly as the uncached reference runs
     * it.
     */
    public float[] prefill(State s, int[] prompt) {
        if (s.length() != 0) throw new IllegalStateException("prefill needs a fresh state");
        int L = prompt.length;
        if (L == 0) throw new Blt4jException("empty prompt");
        for (int id : prompt)
            if (id < 0 || id >= V) throw new Blt4jException("token id " + id + " is outside the vocabulary [0, " + V + ")");
        float[] H = em == null ? null : em.prefill(s.em, prompt);
        // patches: position 0, then every position the patcher starts (the last one open: it holds byte L)
        int[] starts = new int[L + 1];
        int P = 1;
        for (int i = 0; i < L; i++) {
            s.decide(prompt[i], H == null ? 0f : H[i]);
            if (s.closesNext) starts[P++] = i + 1;
        }
        s.openHasEos = false;
        for (int i = starts[P - 1]; i < L; i++) if (prompt[i] == eos) s.openHasEos = true;
        int[] lengths = new int[P];
        for (int q = 0; q < P; q++) lengths[q] = (q + 1 < P ? starts[q + 1] : L + 1) - starts[q];
        ByteLatentTransformer.Pass bp = blt.run(prompt, lengths);
        blt.encoder().prefill(s.enc, prompt, starts, P, bp.enc().acts());
        blt.global().prefill(s.glob, bp.glob(), bp.eosPatch(), P - 1);
        blt.decoder().prefill(s.dec, prompt, bp.dec().acts(), P - 1);
        return Arrays.copyOfRange(bp.dec().logits(), (L - 1) * V, L * V);
    }
}
