package org.blt4j.model;

import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.RowTable;

/**
 * The local encoder's input (docs/computation.md §2): e_i = tok_embeddings[t_i] + Σ_t hash_table_t[hash id_t(i)], table t = f·G + g
 * hashing the n-gram of group size sizes[g] ending at i with function f. One position at a time ({@link #addAt}), which
 * the batch {@link #embed} and the incremental encoder both use.
 */
final class ByteEmbedding {
    private final RowTable tokEmbeddings;          // [vocab, dim]
    private final List<RowTable> hashTables;       // each [hash_vocab, dim]
    private final long[][] primePowers;            // per table: prime_f^j, j < group size
    private final int dim, vocab, hashVocab;

    ByteEmbedding(BltArgs a, RowTable tokEmbeddings, List<RowTable> hashTables) {
        this.tokEmbeddings = tokEmbeddings;
        this.hashTables = List.copyOf(hashTables);
        this.dim = a.dimLocalEncoder();
        this.vocab = a.vocabSize();
        this.hashVocab = a.encoderHashByteGroupVocab();
        List<Integer> sizes = a.encoderHashByteGroupSize();
        this.primePowers = new long[hashTables.size()][];
        for (int t = 0; t < primePowers.length; t++)
            primePowers[t] = HashNgrams.primePowers(sizes.get(t % sizes.size()), t / sizes.size());
    }

    /** Hash id of table t at position i (reads ids[i-g+1 .. i]). */
    int hashId(int[] ids, int i, int t) {
        return HashNgrams.idAt(ids, i, primePowers[t], hashVocab);
    }

    /** out[off .. off+dim) += e_i, the embedding of position i of ids. */
    void addAt(int[] ids, int i, float[] out, int off) {
        if (ids[i] < 0 || ids[i] >= vocab)
            throw new Blt4jException("token id " + ids[i] + " at position " + i + " is outside [0, " + vocab + ")");
        tokEmbeddings.addRowTo(ids[i], out, off);
        for (int t = 0; t < hashTables.size(); t++) hashTables.get(t).addRowTo(hashId(ids, i, t), out, off);
    }

    /** Embeddings of a row: [N, dim]. */
    float[] embed(int[] ids) {
        float[] h = new float[ids.length * dim];
        for (int i = 0; i < ids.length; i++) addAt(ids, i, h, i * dim);
        return h;
    }

    /**
     * Backward: the rows each position i of ids used get dH[dOff + i*dim ..] added, in grad at tokOffset
     * (tok_embeddings) and tableOffsets[t] (hash table t).
     */
    void backward(int[] ids, float[] dH, int dOff, float[] grad, int tokOffset, int[] tableOffsets) {
        for (int i = 0; i < ids.length; i++) {
            int o = dOff + i * dim;
            addTo(grad, tokOffset + ids[i] * dim, dH, o);
            for (int t = 0; t < tableOffsets.length; t++) addTo(grad, tableOffsets[t] + hashId(ids, i, t) * dim, dH, o);
        }
    }

    private void addTo(float[] dst, int dOff, float[] src, int sOff) {
        for (int d = 0; d < dim; d++) dst[dOff + d] += src[sOff + d];
    }

    RowTable tokEmbeddings() { return tokEmbeddings; }

    List<RowTable> hashTables() { return hashTables; }

    /** Bytes of the embedding rows one position reads. */
    long rowBytesPerPosition() {
        long b = tokEmbeddings.rowBytes();
        for (RowTable t : hashTables) b += t.rowBytes();
        return b;
    }
}
