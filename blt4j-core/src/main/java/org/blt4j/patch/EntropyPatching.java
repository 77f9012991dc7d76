package org.blt4j.patch;

/**
 * Entropy patching as the released BLT models use it: entropy mode, global threshold
 * {@value PatcherArgs#RELEASED_THRESHOLD} nats, no monotonicity, no max patch length. (The entropies
 * come from {@code model.EntropyModel}, computed by {@code model.Entropy}.)
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
}
