package org.blt4j.data;

import org.blt4j.text.Documents;
import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.patch.PatchLengths;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;

/**
 * Batches for the Byte Latent Transformer, packed like the reference (bytelatent/data/iterators: sequence_iterator +
 * packing_iterator): a fixed number of patches per row.
 *
 * <p><b>Patches.</b> Every document of the token stream (ending at its EOS; {@link TokenStream}) is patched on its own
 * with the given patcher, {@code include_next_token = false} (so its lengths sum to its length, and its first patch is
 * the BOS alone), from the per-token entropies of the stream. The documents' patches are concatenated into one patch
 * stream; patches never straddle documents.
 *
 * <p><b>Rows.</b> Chunk c is patches [c·P, (c+1)·P) of the patch stream (P = patchesPerRow) with their T tokens; an
 * epoch is {@code floor(patches / P)} chunks (the leftover patches are not used), read in order or, with a seed, in a
 * per-epoch permutation ({@link RowOrder}). As in the reference, a chunk whose first patch has length l0 &gt; 1 is
 * shifted so that the first patch is a single id: lengths become {@code [1, l0 - 1, l1, ..., l(P-2)]} and the tokens of
 * the last patch l(P-1) are dropped. Then, with {@code maxLength} set, a row of more than maxLength + 1 tokens is cut to
 * maxLength + 1: the patch that crosses the limit is shortened and the ones after it get length 0. Finally, with the
 * row's T' tokens t: {@code x = t[0 .. T'-1)}, {@code y = t[1 .. T')}, N = T' - 1 real positions, and the P lengths sum
 * to N + 1 with patch 0 of length 1 (docs/computation.md §5: byte N, the last target, lies in the last non-empty patch).
 *
 * <p><b>Batch layout</b> (B rows, padded to a common length W = the longest row's N, or maxLength with
 * padToMaxLength):
 * <ul>
 *   <li>{@code x, y}: [B][W] ids; padding is id 0 (BOE) in both;
 *   <li>{@code mask}: [B][W], true exactly at the N real targets of the row (every y of the row, BOS and EOS
 *       included, as the reference's all-true document masks), false on padding;
 *   <li>{@code patchLengths}: [B][P], sum = W + 1 in every row, patch 0 = 1. As in the reference, a row's padding is
 *       added to its last non-empty patch (so no row needs more patches than P); trailing zero lengths only appear
 *       after a maxLength cut. The padded bytes are masked out and, lying after every real byte of the row, cannot
 *       influence a real target (the last patch's global output is read by no real decoder position).
 * </ul>
 * The position is the number of rows handed out; {@link #seek} resumes exactly.
 */
public final class BltPacker {
    /**
     * @param batchSize     B, rows per batch
     * @param patchesPerRow P, patches per row (the reference's seq_len), ≥ 2
     * @param maxLength     cap on N per row (the reference's max_length), or null for none
     * @param padToMaxLength pad every batch to maxLength (needs maxLength)
     * @param shuffleSeed   null: rows in stream order; else a per-epoch permutation from this seed
     */
    public record Config(int batchSize, int patchesPerRow, Integer maxLength, boolean padToMaxLength, Long shuffleSeed) {
        public Config {
            if (batchSize < 1) throw new Blt4jException("batch size must be >= 1, got " + batchSize);
            if (patchesPerRow < 2) throw new Blt4jException("patches per row must be >= 2, got " + patchesPerRow);
            if (maxLength != null && maxLength < 1) throw new Blt4jException("max_length must be >= 1, got " + maxLength);
            if (padToMaxLength && maxLength == null) throw new Blt4jException("pad_to_max_length needs max_length");
        }
    }

    /** One row before padding: x, y [N], lengths [P] summing to N + 1. */
    public record Row(int[] x, int[] y, int[] patchLengths) {}

    /** A padded batch (layout in the class comment); firstRow is the global row index of row 0. */
    public record Batch(int[][] x, int[][] y, boolean[][] mask, int[][] patchLengths, long firstRow) {
        /** W, the padded row length. */
        public int length() { return x[0].length; }

        /** Number of real targets (true mask entries). */
        public long targets() {
            long n = 0;
            for (boolean[] r : mask) for (boolean m : r) if (m) n++;
            return n;
        }
    }

    private final int[] ids;
    private final Config config;
    private final int[] lengths;        // the patch stream [patches]
    private final long[] starts;        // token start of each patch [patches + 1]
    private final RowOrder order;
    private long position;

    /**
     * @param ids        the token stream [N] (documents BOS + bytes + EOS)
     * @param entropies  next-byte entropies of ids [N] (nats), or null for patchers that do not use them
     */
    public BltPacker(int[] ids, float[] entropies, PatcherArgs patcherArgs, Config config) {
        this(ids, patchLengths(ids, entropies, patcherArgs), null, config);
    }

    /** A packer over the patch lengths of {@link #patchLengths} (a caller that sizes its rows by them patches once). */
    public static BltPacker of(int[] ids, int[] lengths, Config config) {
        return new BltPacker(ids, lengths, null, config);
    }

    /** The patch lengths of every document of the stream, each patched on its own, concatenated (as the packer cuts). */
    public static int[] patchLengths(int[] ids, float[] entropies, PatcherArgs patcherArgs) {
        Patcher patcher = patcherArgs.build();
        if (patcher.needsEntropies() && entropies == null)
            throw new Blt4jException("BLT batches: " + patcherArgs.mode().name().toLowerCase(java.util.Locale.ROOT)
                    + " patching needs the entropies of the training data (compute them with the entropy model)");
        if (entropies != null && entropies.length != ids.length)
            throw new Blt4jException("BLT batches: " + ids.length + " tokens but " + entropies.length
                    + " entropies; were the entropies computed on this data?");
        return patchStream(ids, entropies, patcher);
    }

    /** A packer over an already patched stream (starts null: computed from the lengths). */
    private BltPacker(int[] ids, int[] lengths, long[] starts, Config config) {
        this.ids = ids;
        this.config = config;
        this.lengths = lengths;
        if (starts == null) {
            starts = new long[lengths.length + 1];
            for (int p = 0; p < lengths.length; p++) starts[p + 1] = starts[p] + lengths[p];
        }
        this.starts = starts;
        int rows = lengths.length / config.patchesPerRow();
        if (rows < 1)
            throw new Blt4jException("training data too small: " + ids.length + " tokens make " + lengths.length
                    + " patches, fewer than one row of " + config.patchesPerRow() + "; use more data or fewer patches per row");
        this.order = new RowOrder(rows, config.shuffleSeed());
    }

    /** Patch lengths of every document, concatenated. */
    private static int[] patchStream(int[] ids, float[] entropies, Patcher patcher) {
        int[] docStarts = Documents.starts(ids);
        int[][] perDoc = new int[docStarts.length][];
        int total = 0;
        for (int d = 0; d < docStarts.length; d++) {
            int from = docStarts[d], to = d + 1 < docStarts.length ? docStarts[d + 1] : ids.length;
            int[] tok = Arrays.copyOfRange(ids, from, to);
            float[] h = entropies == null ? null : Arrays.copyOfRange(entropies, from, to);
            perDoc[d] = patcher.patchLengths(tok, h, false);
            total += perDoc[d].length;
        }
        int[] out = new int[total];
        int k = 0;
        for (int[] p : perDoc) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

    public Config config() { return config; }

    /** The same patch stream packed with another config, without patching the data again. */
    public BltPacker withConfig(Config config) {
        return new BltPacker(ids, lengths, starts, config);
    }

    /** Patches in the whole patch stream. */
    public int patchCount() { return lengths.length; }

    /** Rows in one pass over the data. */
    public long rowsPerEpoch() { return order.rowsPerEpoch(); }

    /** Rows handed out so far; pass it to {@link #seek} to resume. */
    public long position() { return position; }

    /** Continues from a saved {@link #position()}. */
    public void seek(long position) {
        if (position < 0) throw new Blt4jException("data position must be >= 0, got " + position);
        this.position = position;
    }

    /** Global row r, unpadded (shifted so that patch 0 is 1 long, and cut to maxLength). */
    public Row row(long r) {
        int P = config.patchesPerRow();
        int first = order.chunk(r) * P;
        int[] len = Arrays.copyOfRange(lengths, first, first + P);
        int from = (int) starts[first];
        int count = (int) (starts[first + P] - starts[first]);
        if (len[0] > 1) {                                  // the reference's shift: [1, l0-1, l1, ..., l(P-2)]
            count -= len[P - 1];
            System.arraycopy(len, 0, len, 1, P - 1);
            len[1] -= 1;
            len[0] = 1;
        }
        Integer max = config.maxLength();
        if (max != null && count > max + 1) {
            count = max + 1;
            int acc = 0;
            for (int p = 0; p < P; p++) {
                len[p] = Math.min(len[p], count - acc);
                acc += len[p];
            }
        }
        int[] x = Arrays.copyOfRange(ids, from, from + count - 1);
        int[] y = Arrays.copyOfRange(ids, from + 1, from + count);
        return new Row(x, y, len);
    }

    /** The next B rows, padded (layout in the class comment). */
    public Batch next() {
        int B = config.batchSize();
        Row[] rows = new Row[B];
        long first = position;
        int width = 0;
        for (int b = 0; b < B; b++) {
            rows[b] = row(position++);
            width = Math.max(width, rows[b].x().length);
        }
        if (config.padToMaxLength()) width = config.maxLength();
        int[][] x = new int[B][width], y = new int[B][width], len = new int[B][];
        boolean[][] mask = new boolean[B][width];
        for (int b = 0; b < B; b++) {
            Row r = rows[b];
            int n = r.x().length;
            System.arraycopy(r.x(), 0, x[b], 0, n);
            System.arraycopy(r.y(), 0, y[b], 0, n);
            Arrays.fill(mask[b], 0, n, true);
            len[b] = r.patchLengths().clone();
            len[b][lastNonEmpty(len[b])] += width - n;      // padding joins the last patch, as in the reference
            assert PatchLengths.sum(len[b]) == width + 1;
        }
        return new Batch(x, y, mask, len, first);
    }

    private static int lastNonEmpty(int[] len) {
        int p = len.length - 1;
        while (p > 0 && len[p] == 0) p--;
        return p;
    }
}
