package org.blt4j.patch;

/**
 * Incremental patching of one growing sequence (the modes of {@link Patcher.Causal}): feed the ids one at a time, each
 * with the entropy of the prediction made at it, and learn at once whether the next position starts a patch. The
 * decisions are the ones the batch form ({@link Patcher#patchLengths}) makes for any row that continues the fed ids,
 * because they read the past only. Allocation-free; not thread-safe.
 *
 * <pre>{@code
 * PatchStream s = patcher.incremental();       // position 0 starts the first patch
 * for (int i = 0; i < ids.length; i++)
 *     if (s.next(ids[i], entropies[i])) ...     // position i + 1 starts a patch
 * }</pre>
 *
 * Positions 0 and 1 always start patches; a patch that reaches max_patch_length closes
 * ({@link PatchLengths#isFull}).
 */
public final class PatchStream {
    private final Patcher.Causal rule;
    private final boolean readsEntropies;
    private final Integer maxPatchLength;
    private long fed;                 // ids fed so far = the position whose start is decided last
    private long openStart;           // first position of the newest patch
    private int id1, id2;             // ids at positions fed-1, fed-2
    private float h1, h2;             // their entropies

    PatchStream(Patcher.Causal rule, Integer maxPatchLength) {
        this.rule = rule;
        this.readsEntropies = rule.needsEntropies();
        this.maxPatchLength = maxPatchLength;
    }

    /**
     * Feeds the id at the next position i (0, 1, ...) and H[i], the entropy of the prediction made at i (ignored by
     * the modes that read no entropies). Returns whether position i + 1 starts a patch.
     */
    public boolean next(int id, float entropy) {
        if (readsEntropies && Float.isNaN(entropy)) throw Patcher.nanEntropy(fed);   // NaN > θ is false: no patch would start
        id2 = id1;
        id1 = id;
        h2 = h1;
        h1 = entropy;
        long p = ++fed;
        // the rules read p only while it is small (p = 2, 3); positions past 2^31 come from streams of any length
        boolean starts = p <= 1 || rule.startsPatch((int) Math.min(p, Integer.MAX_VALUE), id2, id1, h2, h1)
                || PatchLengths.isFull(p - openStart, maxPatchLength);
        if (starts) openStart = p;
        return starts;
    }

    /** Number of ids fed. */
    public long fed() {
        return fed;
    }

    /** First position of the newest patch (the one position {@link #fed()} belongs to). */
    public long openStart() {
        return openStart;
    }
}
