package org.blt4j.data;

import java.util.Arrays;
import org.blt4j.Blt4jException;

/**
 * Batches for the byte-level entropy model (a plain next-byte LM) from a token stream ({@link TokenStream}).
 *
 * <p>Layout: the stream is cut into chunks of {@code seqLen + 1} ids that overlap by one id (chunk c = ids[c·seqLen ..
 * c·seqLen + seqLen]), so every id after the first is a target exactly once per epoch; x = chunk[:-1], y = chunk[1:],
 * both [seqLen]. Documents flow across rows (a row may start mid-document; the model's block-causal mask keeps
 * documents apart), as in the reference's packing of a token stream. An epoch is {@code (N - 1) / seqLen} rows; the
 * tail that does not fill a row is left out of that epoch. Rows are read in order, or with a shuffle seed in a
 * permutation per epoch (see {@link RowOrder}); epochs wrap around forever.
 *
 * <p>The position is the number of rows handed out so far (not batches, so a run can resume with another batch
 * size); {@link #seek} to a saved position continues with identical batches.
 */
public final class LmBatcher {
    /** x and y: [B][seqLen]; firstRow: the global row index of x[0]. */
    public record Batch(int[][] x, int[][] y, long firstRow) {}

    private final int[] ids;
    private final int batchSize;
    private final int seqLen;
    private final RowOrder order;
    private long position;

    /**
     * @param ids         the token stream [N]
     * @param shuffleSeed null: rows in stream order; else a per-epoch permutation drawn from this seed
     */
    public LmBatcher(int[] ids, int batchSize, int seqLen, Long shuffleSeed) {
        if (batchSize < 1) throw new Blt4jException("batch size must be >= 1, got " + batchSize);
        if (seqLen < 1) throw new Blt4jException("sequence length must be >= 1, got " + seqLen);
        if (ids.length < seqLen + 1)
            throw new Blt4jException("training data too small: " + ids.length + " tokens, a row of sequence length "
                    + seqLen + " needs " + (seqLen + 1) + "; use more data or a shorter sequence length");
        this.ids = ids;
        this.batchSize = batchSize;
        this.seqLen = seqLen;
        this.order = new RowOrder((ids.length - 1) / seqLen, shuffleSeed);
    }

    public int batchSize() { return batchSize; }

    public int seqLen() { return seqLen; }

    /** Rows in one pass over the data. */
    public long rowsPerEpoch() { return order.rowsPerEpoch(); }

    /** Rows handed out so far; pass it to {@link #seek} to resume. */
    public long position() { return position; }

    /** Continues from a saved {@link #position()}. */
    public void seek(long position) {
        if (position < 0) throw new Blt4jException("data position must be >= 0, got " + position);
        this.position = position;
    }

    /** Global row r: seqLen + 1 ids. */
    public int[] row(long r) {
        int from = order.chunk(r) * seqLen;
        return Arrays.copyOfRange(ids, from, from + seqLen + 1);
    }

    /** The next B rows, split into x and y. */
    public Batch next() {
        int[][] x = new int[batchSize][], y = new int[batchSize][];
        long first = position;
        for (int b = 0; b < batchSize; b++) {
            int[] r = row(position++);
            x[b] = Arrays.copyOf(r, seqLen);
            y[b] = Arrays.copyOfRange(r, 1, seqLen + 1);
        }
        return new Batch(x, y, first);
    }
}
