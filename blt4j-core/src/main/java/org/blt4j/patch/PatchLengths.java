package org.blt4j.patch;

import java.util.Arrays;
import org.blt4j.Blt4jException;

/** Helpers on patch lengths: starts, per-byte patch ids (encoder and decoder), splitting and padding. */
public final class PatchLengths {
    private PatchLengths() {}

    /** Start position of each patch (exclusive prefix sums of the lengths). */
    public static int[] starts(int[] lengths) {
        int[] out = new int[lengths.length];
        int acc = 0;
        for (int p = 0; p < lengths.length; p++) {
            out[p] = acc;
            acc += lengths[p];
        }
        return out;
    }

    /**
     * For each byte i in [0, n), the index of the patch that contains it (the reference's
     * {@code patch_ids_from_lengths}): the largest q with start(q) ≤ i, where start(P) = sum of all lengths; so bytes
     * past the sum get P, and zero-length patches are skipped.
     */
    public static int[] patchIds(int[] lengths, int n) {
        int[] ids = new int[n];
        int q = 0;
        long next = lengths.length > 0 ? lengths[0] : 0; // start of patch q + 1
        for (int i = 0; i < n; i++) {
            while (q < lengths.length && next <= i) {
                q++;
                if (q < lengths.length) next += lengths[q];
            }
            ids[i] = q;
        }
        return ids;
    }

    /**
     * Decoder patch ids: {@link #patchIds} of {@code lengths[1:]} (the reference's
     * {@code decoder_patch_ids_from_lengths}). With patch 0 of length 1, decoder position i gets q such that byte i + 1
     * lies in patch q + 1 of the original lengths: it reads the global output of the patch before the one holding the
     * byte it predicts.
     */
    public static int[] decoderPatchIds(int[] lengths, int n) {
        if (lengths.length == 0) throw new Blt4jException("patch lengths: decoder patch ids need at least one patch");
        return patchIds(Arrays.copyOfRange(lengths, 1, lengths.length), n);
    }

    /**
     * Lengths of the patches that start at the given sorted positions, the last one running to {@code total}; starts
     * at or past {@code total} and repeated starts are ignored.
     */
    public static int[] fromStarts(int[] starts, int total) {
        int[] out = new int[starts.length];
        int k = 0;
        for (int j = 0; j < starts.length; j++) {
            int s = starts[j];
            if (s >= total || (j > 0 && s == starts[j - 1])) continue;
            if (j > 0 && s < starts[j - 1]) throw new IllegalArgumentException("patch starts are not sorted: " + Arrays.toString(starts));
            out[k++] = s;
        }
        int[] lengths = new int[k];
        for (int p = 0; p < k; p++) lengths[p] = (p + 1 < k ? out[p + 1] : total) - out[p];
        return lengths;
    }

    /** max_patch_length: whether a patch of {@code length} ids is full, so that the next position starts a new one. */
    public static boolean isFull(long length, Integer max) {
        return max != null && length >= max;
    }

    /**
     * max_patch_length: every length above {@code max} becomes patches of {@code max} followed by the remainder (the
     * reference's {@code split_large_numbers}); null = unchanged.
     */
    public static int[] splitLong(int[] lengths, Integer max) {
        if (max == null) return lengths;
        if (max < 1) throw new Blt4jException("patch lengths: max_patch_length must be >= 1, got " + max);
        int[] out = new int[lengths.length + sum(lengths)];
        int k = 0;
        for (int len : lengths) {
            int open = 0;                                  // ids in the piece being cut
            for (int j = 0; j < len; j++) {
                if (open > 0 && isFull(open, max)) {
                    out[k++] = open;
                    open = 0;
                }
                open++;
            }
            out[k++] = open;
        }
        return Arrays.copyOf(out, k);
    }

    /** Drops trailing zero lengths. */
    public static int[] trimTrailingZeros(int[] lengths) {
        int n = lengths.length;
        while (n > 0 && lengths[n - 1] == 0) n--;
        return n == lengths.length ? lengths : Arrays.copyOf(lengths, n);
    }

    /** Rows padded with zero lengths to the longest row: [B][maxP]. */
    public static int[][] padRows(int[][] rows) {
        int width = 0;
        for (int[] r : rows) width = Math.max(width, r.length);
        int[][] out = new int[rows.length][];
        for (int b = 0; b < rows.length; b++) out[b] = Arrays.copyOf(rows[b], width);
        return out;
    }

    /** Sum of the lengths. */
    public static int sum(int[] lengths) {
        int s = 0;
        for (int len : lengths) s += len;
        return s;
    }
}
