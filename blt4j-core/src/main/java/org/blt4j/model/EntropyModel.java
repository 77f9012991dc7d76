package org.blt4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.nn.BlockStepper;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.nn.RmsNorm;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.AttnMask;
import org.blt4j.tensor.KvCache;
import org.blt4j.tensor.RowTable;

/**
 * The byte-level entropy model (the reference's LMTransformer): embeddings, local block-causal Llama blocks with a
 * sliding window, final RMSNorm, output projection to 260 logits. Its forms: whole rows ({@link #forward},
 * {@link #entropies}), training ({@link #forwardBackward}), and one position per sequence over KV caches
 * ({@link Stepper}, {@link #prefill}).
 */
public final class EntropyModel implements AutoCloseable {
    private final LmArgs args;
    private final ParamStore params;
    private final RowTable tokEmbeddings;        // [vocab, dim]
    private final List<TransformerBlock> layers;
    private final RmsNorm norm;
    private final Linear output;                 // [vocab, dim]

    public EntropyModel(LmArgs args, ParamStore params) {
        this.args = args;
        this.params = params;
        int dim = args.dim(), V = args.vocabSize();
        ParamStore.Param emb = params.get("tok_embeddings.weight", V, dim);
        this.tokEmbeddings = RowTable.heap(params.data(), emb.offset(), V, dim);
        this.layers = TransformerBlock.stack(params, "", args.nLayers(), dims(args));
        this.norm = params.rmsNorm("norm.weight", dim, args.normEps());
        this.output = args.weightTying()
                ? new Linear(params.data(), emb.offset(), V, dim)
                : params.linear("output.weight", V, dim);
    }

    static TransformerBlock.Dims dims(LmArgs a) {
        return new TransformerBlock.Dims(a.dim(), a.nHeads(), a.nKvHeads(), a.headDim(), a.ffnHidden(), a.ropeTheta(), a.normEps());
    }

    /**
     * Parameter names and shapes; the flat layout of the parameters, which DiLoCo's outer and worker states store as
     * arrays, so it must not change. (The reference's state dict lists the layers first, then tok_embeddings: a
     * checkpoint written here holds the same tensors in another order.)
     */
    public static List<ParamStore.Spec> specs(LmArgs a) {
        List<ParamStore.Spec> s = new ArrayList<>();
        s.add(new ParamStore.Spec("tok_embeddings.weight", a.vocabSize(), a.dim()));
        s.addAll(TransformerBlock.stackSpecs("", a.nLayers(), dims(a)));
        s.add(new ParamStore.Spec("norm.weight", a.dim()));
        if (!a.weightTying()) s.add(new ParamStore.Spec("output.weight", a.vocabSize(), a.dim()));
        return s;
    }

    public LmArgs args() { return args; }

    public ParamStore params() { return params; }

    /**
     * Unmaps the checkpoint file this model reads weights from in place (mapped bf16 or int8 weights, hash tables), if
     * any; the model must not be used afterwards. Idempotent; a model on the heap has nothing to release.
     */
    @Override
    public void close() {
        params.closeFiles();
    }

    /**
     * Throws when a checkpoint file this model reads in place was changed in place since it was loaded (truncated or
     * rewritten: see {@link org.blt4j.io.SafeTensors#checkUnchanged}); a stat per file, nothing for a heap model.
     */
    public void checkFiles() {
        params.checkFiles();
    }

    RowTable tokEmbeddings() { return tokEmbeddings; }

    List<TransformerBlock> layers() { return layers; }

    RmsNorm norm() { return norm; }

    Linear output() { return output; }

    /** Bytes one step streams: the layers, the output matrix and one embedding row. */
    public long weightBytesPerStep() {
        long b = output.weightBytes() + tokEmbeddings.rowBytes();
        for (TransformerBlock t : layers) b += t.weightBytes();
        return b;
    }

    /** logits [L, vocab] of one row of token ids [L]. */
    public float[] forward(int[] tokens) {
        return run(tokens, positions(tokens.length)).logits();
    }

    /**
     * logits [L, vocab] of one row of token ids [L] with the given RoPE positions [L] (a row's own positions are
     * 0..L-1; a chunk cut from a longer stream passes the positions it has there, so that it computes exactly what
     * the longer row would).
     */
    public float[] forward(int[] tokens, int[] pos) {
        return run(tokens, pos).logits();
    }

    /** Everything one forward pass computed, for backward. */
    record Pass(int[] tokens, List<TransformerBlock.Acts> acts, float[] hFinal, float[] normed, float[] logits) {}

    Pass run(int[] tokens, int[] pos) {
        return run(tokens, pos, Masks.eosFlags(tokens, args.eosId()));
    }

    /** endsDoc[i]: position i is the last its document (an EOS, or the end of a row of a batch). */
    private Pass run(int[] tokens, int[] pos, boolean[] endsDoc) {
        int L = tokens.length, dim = args.dim();
        if (pos.length != L)
            throw new IllegalArgumentException(L + " tokens but " + pos.length + " positions");
        long widest = Math.max(Math.max(args.vocabSize(), args.ffnHidden()), (long) (args.nHeads() + 2 * args.nKvHeads()) * args.headDim());
        if ((long) L * Math.max(widest, dim) > Integer.MAX_VALUE - 16)
            throw new org.blt4j.Blt4jException("entropy model: one pass over " + L + " positions needs arrays of " + (long) L * widest
                    + " floats, more than a Java array holds; compute long inputs in chunks (ChunkedEntropies, EntropyStream)");
        float[] h = new float[L * dim];                                  // [L, dim]
        for (int i = 0; i < L; i++) tokEmbeddings.addRowTo(checkToken(tokens[i]), h, i * dim);
        AttnMask mask = Masks.localBlockCausal(endsDoc, args.window());
        List<TransformerBlock.Acts> acts = TransformerBlock.forwardAll(layers, h, L, pos, mask);
        float[] normed = norm.forward(h, L);
        return new Pass(tokens, acts, h, normed, output.forward(normed, L));   // logits [L, vocab]
    }

    /**
     * One row of training: Σ_i CE(logits_i, y_i) over the L positions of x (returned), and its gradient times
     * {@code scale} accumulated into grad (laid out like {@link #params()}).
     */
    public double forwardBackward(int[] x, int[] y, float scale, float[] grad) {
        return forwardBackward(x, y, positions(x.length), Masks.eosFlags(x, args.eosId()), scale, grad);
    }

    /**
     * A whole batch of rows [B][L] as one sequence of B·L positions whose rows cannot see each other (each row ends
     * a document for the mask, and RoPE positions restart per row): the same result as row by row, with GEMMs of
     * B·L rows instead of L.
     */
    public double forwardBackwardRows(int[][] x, int[][] y, float scale, float[] grad) {
        int n = 0;
        for (int[] r : x) n += r.length;
        int[] xs = new int[n], ys = new int[n], pos = new int[n];
        boolean[] ends = new boolean[n];
        int o = 0;
        for (int r = 0; r < x.length; r++) {
            for (int i = 0; i < x[r].length; i++, o++) {
                xs[o] = x[r][i];
                ys[o] = y[r][i];
                pos[o] = i;
                ends[o] = x[r][i] == args.eosId() || i == x[r].length - 1;
            }
        }
        return forwardBackward(xs, ys, pos, ends, scale, grad);
    }

    private double forwardBackward(int[] x, int[] y, int[] pos, boolean[] endsDoc, float scale, float[] grad) {
        int L = x.length, dim = args.dim(), V = args.vocabSize();
        Pass pass = run(x, pos, endsDoc);
        float[] dLogits = pass.logits();                                 // the gradient replaces the logits [L, V]
        double loss = org.blt4j.nn.CrossEntropy.lossAndGrad(pass.logits(), y, null, L, V, scale, dLogits);
        float[] dNormed = new float[L * dim];
        output.backward(pass.normed(), dLogits, L, dNormed, grad);
        float[] dh = new float[L * dim];
        norm.backward(pass.hFinal(), dNormed, L, dh, grad);
        TransformerBlock.backwardAll(layers, pass.acts(), dh, L, grad);
        int embOff = params.get("tok_embeddings.weight").offset();
        for (int i = 0; i < L; i++)
            for (int d = 0; d < dim; d++) grad[embOff + x[i] * dim + d] += dh[i * dim + d];
        return loss;
    }

    /** Next-byte entropies H[i] = -Σ p log p (nats) of the distribution predicted at each position of one row. */
    public float[] entropies(int[] tokens) {
        return Entropy.ofLogits(forward(tokens), tokens.length, args.vocabSize());
    }

    /** Same, with the given RoPE positions [L] (see {@link #forward(int[], int[])}). */
    public float[] entropies(int[] tokens, int[] pos) {
        return Entropy.ofLogits(forward(tokens, pos), tokens.length, args.vocabSize());
    }

    // ---- incremental form: one position per sequence and step ----

    /** One sequence's state for stepping: the layers' KV caches (rings of the window) and its position. */
    final class State {
        final KvCache[] kv = BlockStepper.caches(layers.size(), dims(args), args.window());
        final Masks.Cursor at = new Masks.Cursor();
    }

    State newState() {
        return new State();
    }

    /**
     * Runs ids [L] through the batched pass, fills a fresh state's caches with its keys and values, and returns the
     * entropies [L].
     */
    float[] prefill(State s, int[] ids) {
        Pass p = run(ids, positions(ids.length));
        BlockStepper.fill(s.kv, p.acts(), ids.length, args.window());
        s.at.advanceAll(Masks.eosFlags(ids, args.eosId()), ids.length);
        return Entropy.ofLogits(p.logits(), ids.length, args.vocabSize());
    }

    /** Scratch of {@link #step}: B rows at a time, each linear layer one product with M = B. Not thread-safe. */
    final class Stepper {
        private final BlockStepper blocks = new BlockStepper(dims(args));
        private int rows;
        private float[] x, logits;
        private int[] pos, from;
        private KvCache[] caches;

        /** Row r's next position holds ids[r] (checked by the caller): H[r] ← the entropy of its prediction. */
        void step(State[] states, int[] ids, int B, float[] H) {
            ensure(B);
            int dim = args.dim(), V = args.vocabSize();
            Arrays.fill(x, 0, B * dim, 0f);
            for (int r = 0; r < B; r++) {
                tokEmbeddings.addRowTo(ids[r], x, r * dim);
                Masks.Cursor at = states[r].at;
                pos[r] = at.advance(ids[r] == args.eosId());
                from[r] = at.from(args.window());
            }
            for (int l = 0; l < layers.size(); l++) {
                for (int r = 0; r < B; r++) caches[r] = states[r].kv[l];
                blocks.step(layers.get(l), x, B, pos, from, caches);
            }
            norm.forward(x, 0, B, x, 0);
            output.forward(x, 0, B, logits, 0);
            for (int r = 0; r < B; r++) H[r] = (float) Entropy.ofRow(logits, r * V, V);
        }

        private void ensure(int B) {
            if (B <= rows) return;
            rows = Math.max(B, 2 * rows);
            x = new float[rows * args.dim()];
            logits = new float[rows * args.vocabSize()];
            pos = new int[rows];
            from = new int[rows];
            caches = new KvCache[rows];
        }
    }

    Stepper stepper() {
        return new Stepper();
    }

    private int checkToken(int t) {
        if (t < 0 || t >= args.vocabSize())
            throw new org.blt4j.Blt4jException("token id " + t + " is outside the vocabulary [0, " + args.vocabSize() + ")");
        return t;
    }

    static int[] positions(int n) {
        int[] pos = new int[n];
        for (int i = 0; i < n; i++) pos[i] = i;
        return pos;
    }
}
