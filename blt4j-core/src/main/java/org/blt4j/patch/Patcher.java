package org.blt4j.patch;

import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;

/**
 * Turns a row of ids {@code t[0..L)} (and, for entropy patching, the next-byte entropies {@code H[0..L)} in nats, H[i]
 * being the entropy of the prediction made at position i) into patch lengths (SPEC §3, the reference's
 * {@code Patcher.patch}).
 *
 * <p>With {@code includeNextToken} the lengths sum to L + 1 (they also cover the byte about to be predicted), otherwise
 * to L. Except in static mode, positions 0 and 1 always start patches, so patch 0 is a single id. Patches longer than
 * max_patch_length are split into patches of max_patch_length and a remainder; trailing zero lengths are trimmed.
 */
public sealed interface Patcher
        permits Patcher.ThresholdRule, Patcher.EntropyTopK, Patcher.Static, Patcher.PerByte, Patcher.Space, Patcher.Bpe {

    /** max_patch_length, or null for no limit. */
    Integer maxPatchLength();

    /** True for entropy modes, which need the entropies. */
    default boolean needsEntropies() {
        return false;
    }

    /** The mode's own patch lengths, before max_patch_length is applied. */
    int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken);

    /** Patch lengths of one row; {@code entropies} may be null for the modes that do not use them. */
    default int[] patchLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
        int[] raw = unsplitLengths(tokens, entropies, includeNextToken);
        return PatchLengths.trimTrailingZeros(PatchLengths.splitLong(raw, maxPatchLength()));
    }

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
     * Entropy rules that decide each position from H[p-1] and H[p-2] alone, so that a growing sequence can be patched
     * incrementally: position p (2 ≤ p ≤ L; p = L only with includeNextToken) starts a patch when
     * {@link #startsPatch} says so.
     */
    sealed interface ThresholdRule extends Patcher permits EntropyThreshold, EntropyMonotonic, EntropyThresholdAdd {
        /** Whether position p ≥ 2 starts a patch; reads only h[p-1] and h[p-2]. */
        boolean startsPatch(float[] h, int p);

        @Override
        default boolean needsEntropies() {
            return true;
        }

        @Override
        default int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
            checkEntropies(tokens, entropies);
            int last = includeNextToken ? n : n - 1; // without includeNextToken, p = L is not considered
            int[] starts = new int[Math.max(2, last + 1)];
            int k = 0;
            starts[k++] = 0;
            starts[k++] = 1;
            for (int p = 2; p <= last; p++) if (startsPatch(entropies, p)) starts[k++] = p;
            return PatchLengths.fromStarts(Arrays.copyOf(starts, k), n + (includeNextToken ? 1 : 0));
        }
    }

    /** Entropy, global threshold: p starts a patch when H[p-1] > threshold. */
    record EntropyThreshold(float threshold, Integer maxPatchLength) implements ThresholdRule {
        @Override
        public boolean startsPatch(float[] h, int p) {
            return h[p - 1] > threshold;
        }
    }

    /** Entropy, monotonic: p = 2 starts a patch; p ≥ 3 when H[p-1] - H[p-2] > threshold. */
    record EntropyMonotonic(float threshold, Integer maxPatchLength) implements ThresholdRule {
        @Override
        public boolean startsPatch(float[] h, int p) {
            return p == 2 || h[p - 1] - h[p - 2] > threshold;
        }
    }

    /** Entropy, threshold + threshold_add: p = 2 starts; p = 3 never; p ≥ 4 when H[p-1] > t and H[p-1] - H[p-2] > t_add. */
    record EntropyThresholdAdd(float threshold, float thresholdAdd, Integer maxPatchLength) implements ThresholdRule {
        @Override
        public boolean startsPatch(float[] h, int p) {
            if (p == 2) return true;
            if (p == 3) return false; // the reference masks the position right after the forced start
            return h[p - 1] - h[p - 2] > thresholdAdd && h[p - 1] > threshold;
        }
    }

    /**
     * Entropy, top-k (threshold null): the {@code floor(L / patch_size) - 2} positions p in 2..L with the highest
     * H[p-1] start patches (ties: the earlier position). The count is clamped to the available positions, where the
     * reference would fail. A chosen p = L only counts with includeNextToken.
     */
    record EntropyTopK(double patchSize, Integer maxPatchLength) implements Patcher {
        @Override
        public boolean needsEntropies() {
            return true;
        }

        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
            checkEntropies(tokens, entropies);
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
    record Static(int patchSize, Integer maxPatchLength) implements Patcher {
        public Static {
            if (patchSize < 1) throw new Blt4jException("patcher: static patch_size must be >= 1, got " + patchSize);
        }

        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int total = tokens.length + (includeNextToken ? 1 : 0);
            int[] out = new int[(total + patchSize - 1) / patchSize];
            Arrays.fill(out, patchSize);
            if (total % patchSize != 0) out[out.length - 1] = total % patchSize;
            return out;
        }
    }

    /** Byte: every patch is one id. */
    record PerByte(Integer maxPatchLength) implements Patcher {
        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int[] out = new int[tokens.length + (includeNextToken ? 1 : 0)];
            Arrays.fill(out, 1);
            return out;
        }
    }

    /**
     * Space: a word byte is [0-9A-Za-z] or a UTF-8 continuation byte (0x80-0xBF); a patch ends at a non-word byte whose
     * predecessor is a word byte, and at any id below 4; the next position starts a patch (positions 0 and 1 always do).
     */
    record Space(Integer maxPatchLength) implements Patcher {
        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
            int[] starts = new int[n + 2];
            int k = 0;
            starts[k++] = 0;
            starts[k++] = 1;
            for (int i = 1; i < n; i++) {
                boolean end = (!isWordByte(tokens[i]) && isWordByte(tokens[i - 1])) || tokens[i] < ByteTokenizer.OFFSET;
                if (end) starts[k++] = i + 1;
            }
            return PatchLengths.fromStarts(Arrays.copyOf(starts, k), n + (includeNextToken ? 1 : 0));
        }

        /** [0-9A-Za-z] or a UTF-8 continuation byte; special ids and lead bytes are not. */
        static boolean isWordByte(int id) {
            int b = id - ByteTokenizer.OFFSET;
            return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= 0x80 && b < 0xC0);
        }
    }

    /**
     * BPE: a delimiter (id 3) is the last id of its patch and the next position starts one; positions 0 and 1 always
     * start patches. As in the reference, a delimiter in the last position is not considered.
     */
    record Bpe(Integer maxPatchLength) implements Patcher {
        @Override
        public int[] unsplitLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
            int n = tokens.length;
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
}
