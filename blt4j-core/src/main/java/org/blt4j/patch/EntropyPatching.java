package org.blt4j.patch;

/**
 * Entropy patching as the released BLT models use it: entropy mode, global threshold
 * {@value PatcherArgs#RELEASED_THRESHOLD} nats, no monotonicity, no max patch length. Also the entropy of a
 * next-byte distribution, computed from the entropy model's logits.
 */
public final class EntropyPatching {
    private static final Patcher RELEASED = PatcherArgs.released().build();

    private EntropyPatching() {}

    /** The released models' patcher. */
    public static Patcher released() {
        return RELEASED;
    }

    /** Patch lengths with the released settings (sum L + 1 with includeNextToken, else L). */
    public static int[] patchLengths(int[] tokens, float[] entropies, boolean includeNextToken) {
        return RELEASED.patchLengths(tokens, entropies, includeNextToken);
    }

    /** Patch lengths with a global entropy threshold (nats) instead of the released one. */
    public static int[] patchLengths(int[] tokens, float[] entropies, double threshold, boolean includeNextToken) {
        return PatcherArgs.entropy(threshold).build().patchLengths(tokens, entropies, includeNextToken);
    }

    /**
     * Entropy in nats, {@code -Σ p log p} with {@code log p = log_softmax(logits)}, of the {@code n} logits at
     * {@code logits[offset .. offset+n)}. Accumulates in double.
     */
    public static float entropy(float[] logits, int offset, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < n; v++) max = Math.max(max, logits[offset + v]);
        double z = 0;
        for (int v = 0; v < n; v++) z += Math.exp(logits[offset + v] - max);
        double logZ = Math.log(z) + max;
        double h = 0;
        for (int v = 0; v < n; v++) {
            double logp = logits[offset + v] - logZ;
            double p = Math.exp(logp);
            if (p > 0) h -= p * logp;
        }
        return (float) h;
    }

    /** Entropies of every row of a [rows][n] logits block laid out row-major. */
    public static float[] entropies(float[] logits, int rows, int n) {
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) out[r] = entropy(logits, r * n, n);
        return out;
    }
}
