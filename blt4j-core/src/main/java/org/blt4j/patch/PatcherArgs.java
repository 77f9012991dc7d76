package org.blt4j.patch;

import com.fasterxml.jackson.databind.JsonNode;
import org.blt4j.Blt4jException;

/**
 * Patcher arguments, as the reference's {@code PatcherArgs} (docs/computation.md §3).
 *
 * @param mode           patching_mode
 * @param threshold      entropy threshold in nats (a threshold on the rise with monotonicity); null = top-k patching
 *                       with patch_size
 * @param thresholdAdd   threshold_add: with a global threshold, also require a rise of more than this; null = unused
 * @param monotonicity   threshold applies to the rise H[p-1] - H[p-2] instead of H[p-1]
 * @param maxPatchLength max_patch_length: longer patches are split afterwards; null = no limit
 * @param patchSize      patch_size: the length for static patching, the mean length for top-k patching
 */
public record PatcherArgs(
        PatchingMode mode, Double threshold, Double thresholdAdd, boolean monotonicity, Integer maxPatchLength,
        double patchSize) implements java.io.Serializable {

    /** Threshold of the released BLT models (entropy mode, global threshold). */
    public static final double RELEASED_THRESHOLD = 1.335442066192627;
    /** The reference's default patch_size. */
    public static final double DEFAULT_PATCH_SIZE = 4.5;

    public PatcherArgs {
        if (mode == null) throw new Blt4jException("patcher: patching_mode is missing; valid modes: " + PatchingMode.validNames());
        if (!(patchSize > 0) || Double.isInfinite(patchSize))
            throw new Blt4jException("patcher: patch_size must be a positive number, got " + patchSize);
        if (mode == PatchingMode.STATIC && patchSize != Math.rint(patchSize))
            throw new Blt4jException("patcher: static patching needs a whole patch_size, got " + patchSize);
        if (mode == PatchingMode.STATIC && patchSize > Integer.MAX_VALUE)   // (int) 1e12 became 2^31 - 1, then wrapped
            throw new Blt4jException("patcher: static patch_size must be at most " + Integer.MAX_VALUE + ", got " + patchSize);
        if (maxPatchLength != null && maxPatchLength < 1)
            throw new Blt4jException("patcher: max_patch_length must be >= 1 (or absent), got " + maxPatchLength);
        if (threshold != null && !Double.isFinite(threshold))
            throw new Blt4jException("patcher: threshold must be a finite number (or null for top-k), got " + threshold);
        if (thresholdAdd != null && !Double.isFinite(thresholdAdd))
            throw new Blt4jException("patcher: threshold_add must be a finite number (or absent), got " + thresholdAdd);
    }

    /** Same, with the mode by its config name ("entropy", "static", "byte", "space", "bpe"). */
    public static PatcherArgs of(String mode, Double threshold, Double thresholdAdd, boolean monotonicity,
                                 Integer maxPatchLength, double patchSize) {
        return new PatcherArgs(PatchingMode.parse(mode), threshold, thresholdAdd, monotonicity, maxPatchLength, patchSize);
    }

    /** The released models' patching: entropy, global threshold 1.335442066192627, no max length. */
    public static PatcherArgs released() {
        return entropy(RELEASED_THRESHOLD);
    }

    /** Entropy patching with a global threshold (nats). */
    public static PatcherArgs entropy(double threshold) {
        return new PatcherArgs(PatchingMode.ENTROPY, threshold, null, false, null, DEFAULT_PATCH_SIZE);
    }

    /** Entropy patching with the same number of patches as static patching of patch_size (top-k). */
    public static PatcherArgs topK(double patchSize) {
        return new PatcherArgs(PatchingMode.ENTROPY, null, null, false, null, patchSize);
    }

    /** Static patching with patches of patchSize bytes. */
    public static PatcherArgs fixed(int patchSize) {
        return new PatcherArgs(PatchingMode.STATIC, null, null, false, null, patchSize);
    }

    /** Mode without parameters (byte, space, bpe, ...), other fields at the reference defaults. */
    public static PatcherArgs ofMode(PatchingMode mode) {
        return new PatcherArgs(mode, RELEASED_THRESHOLD, null, false, null, DEFAULT_PATCH_SIZE);
    }

    /** A copy with max_patch_length set (null = no limit). */
    public PatcherArgs withMaxPatchLength(Integer max) {
        return new PatcherArgs(mode, threshold, thresholdAdd, monotonicity, max, patchSize);
    }

    /**
     * Reads the reference's PatcherArgs keys (patching_mode, threshold, threshold_add, monotonicity, max_patch_length,
     * patch_size); absent keys take the reference defaults (entropy, 1.335442066192627, none, false, none, 4.5); an
     * explicit {@code "threshold": null} selects top-k patching. Other keys are ignored.
     */
    public static PatcherArgs fromJson(JsonNode args) {
        if (args == null || !args.isObject()) throw new Blt4jException("patcher: patcher args must be a JSON object");
        String mode = args.has("patching_mode") ? text(args, "patching_mode") : "entropy";
        Double threshold = args.has("threshold") ? number(args, "threshold") : Double.valueOf(RELEASED_THRESHOLD);
        Double thresholdAdd = number(args, "threshold_add");
        Double max = number(args, "max_patch_length");
        Double patchSize = number(args, "patch_size");
        JsonNode mono = args.path("monotonicity");
        if (!mono.isMissingNode() && !mono.isNull() && !mono.isBoolean())
            throw new Blt4jException("patcher: monotonicity must be true or false, got " + mono);
        if (max != null && max != Math.rint(max))
            throw new Blt4jException("patcher: max_patch_length must be a whole number, got " + max);
        return of(mode, threshold, thresholdAdd, mono.asBoolean(false), max == null ? null : max.intValue(),
                patchSize == null ? DEFAULT_PATCH_SIZE : patchSize);
    }

    /** Builds the patcher these arguments describe. */
    public Patcher build() {
        return Patcher.of(this);
    }

    private static String text(JsonNode args, String key) {
        JsonNode v = args.get(key);
        if (v == null || !v.isTextual()) throw new Blt4jException("patcher: " + key + " must be a string, got " + v);
        return v.asText();
    }

    private static Double number(JsonNode args, String key) {
        JsonNode v = args.get(key);
        if (v == null || v.isNull()) return null;
        if (!v.isNumber()) throw new Blt4jException("patcher: " + key + " must be a number or null, got " + v);
        return v.asDouble();
    }
}
