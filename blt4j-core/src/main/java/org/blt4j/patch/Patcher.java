package org.blt4j.patch;

import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;

/**
 * Turns a row of ids {@code t[0..L)} (and, for entropy patching, the next-byte entropies {@code H[0..L)} in nats, H[i]
 * being the entropy of the prediction made at position i) into patch lengths (docs/computation.md §3, the reference's
 * {@code Patcher.patch}).
 *
 * <p>With {@code includeNextToken} the lengths sum to L + 1 (they also cover the byte about to be predicted), otherwise
 * to L. Except in static mode, positions 0 and 1 always start patches, so patch 0 is a single id. Patches longer than
 * max_patch_length are split into patches of max_patch_length and a remainder; trailing zero lengths are trimmed.
 */
public sealed interface Patcher permits Patcher.Causal, Patcher.LookAhead {

    /** max_patch_length, or null for no limit. */
    Integer maxPatchLength();

    /** True for entropy modes, which need the entropies. */
    default boolean needsEntropies() {
        return false;
    }

    /**
     * Whether this mode decides every patch start from the past alone (entropy with a global threshold, monotonic or
     * threshold_add; byte; space), so that {@link #incremental()} works. Top-k, static and bpe look ahead: they need
     * the whole row.
     */
    default boolean isIncremental() {
        return this instanceof Causal;
    }

    /**
     * A fresh incremental patcher for one sequence, fed one id (and its entropy) at a time; see {@link PatchStream}.
     *
     * @throws Blt4jException for the modes that look ahead ({@link #isIncremental()} false)
     */
    default PatchStream incremental() {
        throw new Blt4jException("patcher: " + this + " decides patch starts from the whole row and cannot patch "
                + "incrementally; incremental modes: entropy with a threshold (also monotonic, threshold_add), byte, space");
    }

    /** Patch lengths of one row; {@code entropies} may be null for the modes that do not use them. */
    int[] patchLengths(int[] tokens, float[] entropies, boolean includeNextToken);

    /**
     * Patch lengths of a batch [B][L] (entropies [B][L], or null), each row patched on its own; rows are padded with
     * zero lengths to the longest row, as the reference returns them.
     */
    default int[][] patchLengths(int[][] tokens, float[][] entropies, boolean includeNextToken) {
        if (entropies != null && entropies.length != tokens.length)
            throw new Blt4jException("patcher: " + tokens.length + " token rows but " + entropies.length + " entropy rows");
        int[][] rows = new int[tokens.length][];
        for (int b = 0; b < tokens.length; b++)
            rows[b] = patchLengths(tokens[b], entropies == null ? null : entropies[b], includeNextToken);
        return PatchLengths.padRows(rows);
    }

    /** The patcher for the given arguments. */
    static Patcher of(PatcherArgs a) {
        Integer max = a.maxPatchLength();
        return switch (a.mode()) {
            case STATIC -> new Static((int) a.patchSize(), max);
            case BYTE -> new PerByte(max);
            case SPACE -> new Space(max);
            case BPE -> new Bpe(max);
            case ENTROPY -> {
                if (a.threshold() == null) yield new EntropyTopK(a.patchSize(), max);
                float t = a.threshold().floatValue(); // the reference compares in float32
                if (a.monotonicity()) yield new EntropyMonotonic(t, max);
                if (a.thresholdAdd() != null) yield new EntropyThresholdAdd(t, a.thresholdAdd().floatValue(), max);
                yield new EntropyThreshold(t, max);
            }
        };
    }

    /**
     * Modes that decide whether position p starts a patch from the two ids and entropies before it, so that a growing
     * sequence is patched incrementally ({@link PatchStream}); the batch form runs the same stream over the row.
     * Positions 0 and 1 always start patches; max_patch_length is applied on top by the stream.
     */
    sealed interface Causal extends Patcher permits EntropyThreshold, EntropyMonotonic, EntropyThresholdAdd, PerByte, Space {
        /**
         * Whether position p ≥ 2 starts a patch, given ids t[p-2], t[p-1] and entropies H[p-2], H[p-1] (H[i] is the
         * entropy of the prediction made at position i).
         */
        boolean startsPatch(int p, int id2, int id1, float h2, float h1);

        @Override
        default PatchStream incremental() {
            return new PatchStream(this, maxPatchLength());
        }

        @Override
        default int[] patchLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            if (needsEntropies()) checkEntropies(tokens, entropies);
            int n = tokens.length, total = n + (includeNextToken ? 1 : 0);
            PatchStream stream = incremental();
            int[] starts = new int[total + 1];
            int k = 0;
            if (total > 0) starts[k++] = 0;
            for (int i = 0; i < n; i++)
                if (stream.next(tokens[i], entropies == null ? 0f : entropies[i]) && i + 1 < total) starts[k++] = i + 1;
            return PatchLengths.fromStarts(Arrays.copyOf(starts, k), total);
        }
    }

    /**
     * Modes that need the whole row (top-k, static, bpe): their own lengths, then max_patch_length splits the long
     * ones ({@link PatchLengths#splitLong}).
     */
    sealed interface LookAhead extends Patcher permits EntropyTopK, Static, Bpe {
        /** The mode's own patch lengths, before max_patch_length is applied. */
        int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken);

        @Override
        default int[] patchLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int[] raw = unsplitLengths(tokens, entropies, includeNextToken);
            return PatchLengths.trimTrailingZeros(PatchLengths.splitLong(raw, maxPatchLength()));
        }
    }

    /** Entropy, global threshold: p starts a patch when H[p-1] > threshold. */
    record EntropyThreshold(float threshold, Integer maxPatchLength) implements Causal {
        @Override
        public boolean needsEntropies() {
            return true;
        }

        @Override
        public boolean startsPatch(int p, int id2, int id1, float h2, float h1) {
            return h1 > threshold;
        }
    }

    /** Entropy, monotonic: p = 2 starts a patch; p ≥ 3 when H[p-1] - H[p-2] > threshold. */
    record EntropyMonotonic(float threshold, Integer maxPatchLength) implements Causal {
        @Override
        public boolean needsEntropies() {
            return true;
        }

        @Override
        public boolean startsPatch(int p, int id2, int id1, float h2, float h1) {
            return p == 2 || h1 - h2 > threshold;
        }
    }

    /** Entropy, threshold + threshold_add: p = 2 starts; p = 3 never; p ≥ 4 when H[p-1] > t and H[p-1] - H[p-2] > t_add. */
    record EntropyThresholdAdd(float threshold, float thresholdAdd, Integer maxPatchLength) implements Causal {
        @Override
        public boolean needsEntropies() {
            return true;
        }

        @Override
        public boolean startsPatch(int p, int id2, int id1, float h2, float h1) {
            if (p == 2) return true;
            if (p == 3) return false; // the reference masks the position right after the forced start
            return h1 - h2 > thresholdAdd && h1 > threshold;
        }
    }

    /**
     * Entropy, top-k (threshold null): the {@code floor(L / patch_size) - 2} positions p in 2..L with the highest
     * H[p-1] start patches (ties: the earlier position). The count is clamped to the available positions, where the
     * reference would fail. A chosen p = L only counts with includeNextToken.
     */
    record EntropyTopK(double patchSize, Integer maxPatchLength) implements LookAhead {
        @Override
        public boolean needsEntropies() {
            return true;
        }

        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
            checkEntropies(tokens, entropies);
            for (int i = 0; i < n; i++) if (Float.isNaN(entropies[i])) throw nanEntropy(i);   // the causal modes' stream checks its own
            int candidates = Math.max(0, n - 1); // p = 2..L, scored by H[p-1]
            int k = Math.clamp((long) Math.floor(n / patchSize) - 2, 0, candidates);
            Integer[] order = new Integer[candidates];
            for (int c = 0; c < candidates; c++) order[c] = c + 2;
            Arrays.sort(order, (x, y) -> Float.compare(entropies[y - 1], entropies[x - 1])); // stable: ties keep order
            int[] starts = new int[2 + k];
            starts[0] = 0;
            starts[1] = 1;
            for (int j = 0; j < k; j++) starts[2 + j] = order[j];
            Arrays.sort(starts, 2, starts.length);
            return PatchLengths.fromStarts(starts, n + (includeNextToken ? 1 : 0));
        }
    }

    /** Static: patches of patch_size, the last one shorter (patch 0 is patch_size long too). */
    record Static(int patchSize, Integer maxPatchLength) implements LookAhead {
        public Static {
            if (patchSize < 1) throw new Blt4jException("patcher: static patch_size must be >= 1, got " + patchSize);
        }

        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int total = tokens.length + (includeNextToken ? 1 : 0);
            int[] out = new int[(int) Math.ceilDiv((long) total, patchSize)];   // total + patchSize - 1 wrapped near 2^31
            Arrays.fill(out, patchSize);
            if (total % patchSize != 0) out[out.length - 1] = total % patchSize;
            return out;
        }
    }

    /** Byte: every patch is one id. */
    record PerByte(Integer maxPatchLength) implements Causal {
        @Override
        public boolean startsPatch(int p, int id2, int id1, float h2, float h1) {
            return true;
        }
    }

    /**
     * Space: a word byte is [0-9A-Za-z] or a UTF-8 continuation byte (0x80-0xBF); a patch ends at a non-word byte whose
     * predecessor is a word byte, and at any id below 4; the next position starts a patch (positions 0 and 1 always do).
     */
    record Space(Integer maxPatchLength) implements Causal {
        @Override
        public boolean startsPatch(int p, int id2, int id1, float h2, float h1) {
            return (!isWordByte(id1) && isWordByte(id2)) || id1 < ByteTokenizer.OFFSET;
        }

        /** [0-9A-Za-z] or a UTF-8 continuation byte; special ids and lead bytes are not. */
        static boolean isWordByte(int id) {
            int b = id - ByteTokenizer.OFFSET;
            return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= 0x80 && b < 0xC0);
        }
    }

    /**
     * BPE: a delimiter (id 3) is the last id of its patch and the next position starts one; positions 0 and 1 always
     * start patches. As in the reference, a delimiter in the last position is not considered. The delimiters come
     * from the reference's tokenizer with {@code bpe_delim}; blt4j's byte tokenizer inserts none, so ids of more than 2
     * positions without any are refused (the whole text came out as one patch, silently).
     */
    record Bpe(Integer maxPatchLength) implements LookAhead {
        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
            if (n > 2 && Arrays.stream(tokens).noneMatch(t -> t == ByteTokenizer.BPE_ID))
                throw new Blt4jException("patcher: bpe patching cuts after BPE delimiters (id " + ByteTokenizer.BPE_ID + "), which the"
                        + " reference's tokenizer inserts with bpe_delim; these " + n + " ids hold none (blt4j encodes text as bytes"
                        + " without them), so the whole text would be one patch: use space (word boundaries), static or entropy patching");
            int[] starts = new int[n + 2];
            int k = 0;
            starts[k++] = 0;
            starts[k++] = 1;
            for (int y = 0; y < n - 1; y++) if (tokens[y] == ByteTokenizer.BPE_ID) starts[k++] = y + 1;
            return PatchLengths.fromStarts(Arrays.copyOf(starts, k), n + (includeNextToken ? 1 : 0));
        }
    }

    private static void checkEntropies(int[] tokens, float[] entropies) {
        if (entropies == null)
            throw new Blt4jException("patcher: entropy patching needs the entropies of the entropy model");
        if (entropies.length != tokens.length)
            throw new Blt4jException("patcher: " + tokens.length + " tokens but " + entropies.length + " entropies");
    }

    /**
     * A NaN entropy: comparisons with it are false, so patches would silently follow max_patch_length alone (an int8
     * scale so large that q · scale overflows, or other corrupt weights, make the entropy model's logits NaN).
     */
    static Blt4jException nanEntropy(long position) {
        return new Blt4jException("patcher: the entropy model's entropy at position " + position + " is NaN: its weights are"
                + " corrupt or overflow (check them with ./blt4j inspect; re-quantize or re-convert the entropy model)");
    }
}
