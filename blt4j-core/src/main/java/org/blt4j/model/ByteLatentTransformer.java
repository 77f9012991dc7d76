package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.RowTable;

/**
 * The Byte Latent Transformer (docs/computation.md §5): hash n-gram byte embeddings → local encoder (bytes → patch slots by
 * cross-attention) → latent global transformer over patches → local decoder (bytes cross-attend to patches) → logits.
 */
public final class ByteLatentTransformer implements AutoCloseable {
    private final BltArgs args;
    private final ParamStore params;
    private final boolean hashTablesInParams;
    private final LocalEncoder encoder;
    private final GlobalTransformer global;
    private final LocalDecoder decoder;
    private final List<RowTable> hashTables;

    /**
     * @param params     every parameter except, optionally, the hash tables
     * @param hashTables the hash embedding tables in table order; null to take them from params
     */
    public ByteLatentTransformer(BltArgs args, ParamStore params, List<RowTable> hashTables) {
        if (!args.dimLocalEncoder().equals(args.dimLocalDecoder()))
            throw new Blt4jException("config: dim_local_encoder (" + args.dimLocalEncoder() + ") and dim_local_decoder ("
                    + args.dimLocalDecoder() + ") must be equal: the decoder starts from the encoder's byte states");
        this.args = args;
        this.params = params;
        int dim = args.dimLocalEncoder();
        ParamStore.Param emb = params.get(LocalEncoder.P + "tok_embeddings.weight", args.vocabSize(), dim);
        RowTable tokEmbeddings = RowTable.heap(params.data(), emb.offset(), args.vocabSize(), dim);
        this.hashTablesInParams = hashTables == null;
        if (hashTables == null) {
            List<RowTable> t = new ArrayList<>();
            for (ParamStore.Spec s : hashTableSpecs(args)) {
                ParamStore.Param p = params.get(s.name(), s.shape());
                t.add(RowTable.heap(params.data(), p.offset(), p.rows(), p.cols()));
            }
            hashTables = t;
        }
        if (hashTables.size() != args.numHashTables())
            throw new Blt4jException("model has " + hashTables.size() + " hash tables, config needs " + args.numHashTables());
        for (RowTable t : hashTables)
            if (t.dim() != dim || t.rows() != args.encoderHashByteGroupVocab())
                throw new Blt4jException("hash table has shape [" + t.rows() + ", " + t.dim() + "], expected ["
                        + args.encoderHashByteGroupVocab() + ", " + dim + "]");
        this.hashTables = List.copyOf(hashTables);
        this.encoder = new LocalEncoder(args, params, tokEmbeddings, hashTables);
        this.global = new GlobalTransformer(args, params);
        this.decoder = new LocalDecoder(args, params);
    }

    /** Every parameter but the hash tables. */
    public static List<ParamStore.Spec> specs(BltArgs a) {
        List<ParamStore.Spec> s = new ArrayList<>(LocalEncoder.specs(a));
        s.addAll(GlobalTransformer.specs(a));
        s.addAll(LocalDecoder.specs(a));
        return s;
    }

    /** encoder_hash_tok_embedding.{f*len(sizes)+gi}.weight [hash_vocab, dim_enc]. */
    public static List<ParamStore.Spec> hashTableSpecs(BltArgs a) {
        List<ParamStore.Spec> s = new ArrayList<>();
        for (int i = 0; i < a.numHashTables(); i++)
            s.add(new ParamStore.Spec("encoder_hash_tok_embedding." + i + ".weight", a.encoderHashByteGroupVocab(), a.dimLocalEncoder()));
        return s;
    }

    public BltArgs args() { return args; }

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

    /** The hash n-gram embedding tables, in table order (in params, or apart when they were given apart). */
    public List<RowTable> hashTables() { return hashTables; }

    LocalEncoder encoder() { return encoder; }

    GlobalTransformer global() { return global; }

    LocalDecoder decoder() { return decoder; }


    /**
     * logits [N, vocab] for one row of tokens [N] patched by patchLengths [P] (summing to N+1, first patch 1;
     * trailing zero lengths allowed).
     */
    public float[] forward(int[] tokens, int[] patchLengths) {
        return run(tokens, patchLengths).dec().logits();
    }

    /** One whole-row pass over packed rows (one row: the plain pass). */
    record Pass(PackedRows rows, LocalEncoder.Output enc, GlobalTransformer.Output glob, LocalDecoder.Output dec) {
        PatchLayout layout() { return rows.layout(); }

        /** eosPatch[p]: patch p holds an EOS (it ends a document for the global mask). */
        boolean[] eosPatch() { return rows.eosPatch(); }
    }

    Pass run(int[] tokens, int[] patchLengths) {
        return run(PackedRows.of(new int[][] {tokens}, new int[][] {patchLengths}, args.eosId()));
    }

    Pass run(PackedRows rows) {
        LocalEncoder.Output enc = encoder.forward(rows);                              // h [N, dim], slots [P*k, dim]
        GlobalTransformer.Output g = global.forward(enc.slots(), rows.numPatches(),
                rows.patchEnds(args.globalBlockCausal()), rows.patchPos());          // [P, dim_global]
        LocalDecoder.Output dec = decoder.forward(enc.h(), rows, g.h());              // logits [N, vocab]
        return new Pass(rows, enc, g, dec);
    }

    /**
     * One row of training: returns Σ_i mask_i · CE(logits_i, y_i) and accumulates its gradient times {@code scale}
     * into grad (laid out like {@link #params()}, which must hold the hash tables: load with mapHashTables=false).
     *
     * @param mask per-position weights (1 = counted, 0 = padding); null = all counted
     */
    public double forwardBackward(int[] x, int[] y, float[] mask, int[] patchLengths, float scale, float[] grad) {
        return forwardBackwardRows(new int[][] {x}, new int[][] {y}, mask == null ? null : new float[][] {mask},
                new int[][] {patchLengths}, scale, grad);
    }

    /**
     * A batch of rows (x, y, mask [B][N_r], patchLengths [B][P_r]) as one packed sequence ({@link PackedRows}): the
     * byte-level stacks run over Σ N bytes and the global one over Σ P patches, with masks that keep the rows apart.
     * Returns Σ_r Σ_i mask·CE and accumulates the gradient times {@code scale} into grad: the sum of
     * {@link #forwardBackward} over the rows, up to float rounding, with GEMMs of Σ N (Σ P) rows instead of N (P).
     *
     * @param mask per-row position weights, or null (all counted); a row of it may be null too
     */
    public double forwardBackwardRows(int[][] x, int[][] y, float[][] mask, int[][] patchLengths, float scale, float[] grad) {
        if (!hashTablesInParams) throw new Blt4jException("training needs the hash tables in the parameter buffer: load with mapHashTables=false");
        if (y.length != x.length || (mask != null && mask.length != x.length))
            throw new Blt4jException("a batch of " + x.length + " rows needs as many rows of targets and of mask");
        PackedRows rows = PackedRows.of(x, patchLengths, args.eosId());
        int N = rows.numBytes(), V = args.vocabSize();
        int[] ys = new int[N];
        float[] ms = mask == null ? null : new float[N];
        for (int r = 0; r < x.length; r++) {
            int b0 = rows.byteStart()[r], n = x[r].length;
            if (y[r].length != n || (mask != null && mask[r] != null && mask[r].length != n))
                throw new Blt4jException("row " + r + ": " + n + " tokens but " + y[r].length + " targets"
                        + (mask != null && mask[r] != null ? " and " + mask[r].length + " mask entries" : ""));
            System.arraycopy(y[r], 0, ys, b0, n);
            if (ms != null) {
                if (mask[r] == null) java.util.Arrays.fill(ms, b0, b0 + n, 1f);
                else System.arraycopy(mask[r], 0, ms, b0, n);
            }
        }
        Pass pass = run(rows);
        float[] dLogits = pass.dec().logits();                           // the gradient replaces the logits [N, V]
        double loss = org.blt4j.nn.CrossEntropy.lossAndGrad(dLogits, ys, ms, N, V, scale, dLogits);
        float[] dGlobal = new float[pass.glob().h().length];
        float[] dH = decoder.backward(pass.dec().acts(), dLogits, dGlobal, grad);
        float[] dSlots = global.backward(pass.glob(), dGlobal, rows.numPatches(), grad);
        List<ParamStore.Spec> hs = hashTableSpecs(args);
        int[] tableOffsets = new int[hs.size()];
        for (int t = 0; t < tableOffsets.length; t++) tableOffsets[t] = params.get(hs.get(t).name()).offset();
        encoder.backward(pass.enc().acts(), rows, dH, dSlots, grad, params.get(LocalEncoder.P + "tok_embeddings.weight").offset(),
                tableOffsets);
        return loss;
    }
}
