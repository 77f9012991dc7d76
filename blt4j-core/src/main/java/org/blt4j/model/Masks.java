package org.blt4j.model;

import org.blt4j.tensor.AttnMask;

/** The attention masks of BLT, each as one contiguous key range per query. */
public final class Masks {
    private Masks() {}

    /**
     * Local block-causal with window w: query i sees key j iff j ≤ i, i - j &lt; w, and no document ends in [j, i)
     * (a document ends with an EOS, inclusive). endsDoc[i] marks position i as the last of its document.
     */
    public static AttnMask localBlockCausal(boolean[] endsDoc, int window) {
        int S = endsDoc.length;
        int[] from = new int[S], to = new int[S];
        int docStart = 0;
        for (int i = 0; i < S; i++) {
            if (i > 0 && endsDoc[i - 1]) docStart = i;
            long windowStart = (long) i - window + 1;
            from[i] = (int) Math.max(docStart, windowStart);
            to[i] = i + 1;
        }
        return AttnMask.ranges(from, to);
    }

    /**
     * The step form of {@link #localBlockCausal} for one growing sequence: its newest position and the first position
     * of its document, so that the newest query sees the keys [{@link #from}, {@link #pos}].
     */
    static final class Cursor {
        private int pos = -1, doc;
        private boolean lastEndsDoc;

        /** Moves to the next position; endsDoc: it is the last of its document. Returns the position. */
        int advance(boolean endsDoc) {
            pos++;
            if (lastEndsDoc) doc = pos;
            lastEndsDoc = endsDoc;
            return pos;
        }

        /** As if advanced once per entry of endsDoc[0 .. n). */
        void advanceAll(boolean[] endsDoc, int n) {
            for (int i = 0; i < n; i++) advance(endsDoc[i]);
        }

        int pos() { return pos; }

        /** First key the newest position sees under a window of w positions. */
        int from(int window) {
            return (int) Math.max(doc, (long) pos - window + 1);
        }
    }

    /** cross_attn_window_encoder / _decoder as a number of patches: absent or ≤ 0 means 1 (the own patch only). */
    static int crossWindow(Integer window) {
        return window == null || window <= 0 ? 1 : window;
    }

    /** Documents of a token row end at each EOS. */
    public static boolean[] eosFlags(int[] tokens, int eosId) {
        boolean[] f = new boolean[tokens.length];
        for (int i = 0; i < tokens.length; i++) f[i] = tokens[i] == eosId;
        return f;
    }

    /**
     * Encoder cross-attention: slot p*k + r (queries, P*k of them) sees the bytes of patches p-w+1..p, given each
     * patch's [start, end) byte range clipped to the N bytes that exist. window ≤ 0 means w = 1 (its own patch only).
     */
    public static AttnMask patchesAsQueries(int[] patchStart, int[] patchEnd, int k, int window) {
        return patchesAsQueries(patchStart, patchEnd, null, k, window);
    }

    /**
     * The same over packed rows ({@link PackedRows}): the window of patch p stops at firstPatch[p], the first patch of
     * its row (null: 0, one row).
     */
    static AttnMask patchesAsQueries(int[] patchStart, int[] patchEnd, int[] firstPatch, int k, int window) {
        int P = patchStart.length;
        int w = window <= 0 ? 1 : window;
        int[] from = new int[P * k], to = new int[P * k];
        for (int p = 0; p < P; p++) {
            int first = Math.max(firstPatch == null ? 0 : firstPatch[p], p - w + 1);
            for (int r = 0; r < k; r++) {
                from[p * k + r] = patchStart[first];
                to[p * k + r] = patchEnd[p];
            }
        }
        return AttnMask.ranges(from, to);
    }

    /**
     * Decoder cross-attention: byte i (queries) sees the k slots of patches dp-w+1..dp, dp = decoderPatchIds[i].
     * window ≤ 0 means its own patch only.
     */
    public static AttnMask bytesAsQueries(int[] decoderPatchIds, int k, int window) {
        return bytesAsQueries(decoderPatchIds, null, k, window);
    }

    /** The same over packed rows: the window stops at firstPatch[dp], the first patch of the row (null: 0). */
    static AttnMask bytesAsQueries(int[] decoderPatchIds, int[] firstPatch, int k, int window) {
        int N = decoderPatchIds.length;
        int w = window <= 0 ? 1 : window;
        int[] from = new int[N], to = new int[N];
        for (int i = 0; i < N; i++) {
            int dp = decoderPatchIds[i];
            from[i] = Math.max(firstPatch == null ? 0 : firstPatch[dp], dp - w + 1) * k;
            to[i] = (dp + 1) * k;
        }
        return AttnMask.ranges(from, to);
    }
}
