package org.blt4j.model;

import org.blt4j.Blt4jException;

/**
 * The rows of a batch laid end to end as one sequence, so that every stack runs once over Σ N bytes (encoder, decoder)
 * or Σ P patches (global) with GEMMs that many rows tall, computing what it computes row by row: each row's last byte
 * and last patch end a document for the self-attention masks, RoPE positions restart at 0 in each row, hash n-grams
 * read no byte of an earlier row ({@link #rows} keeps them apart), and cross-attention windows stop at the row's first
 * patch. One row is the plain whole-row pass.
 *
 * @param rows       token rows [B][N_r]
 * @param tokens     the rows concatenated [Σ N]
 * @param byteStart  row r's bytes are [byteStart[r], byteStart[r+1])            [B+1]
 * @param patchStart row r's patches are [patchStart[r], patchStart[r+1])        [B+1]
 * @param bytePos    position of each byte in its row                             [Σ N]
 * @param byteEnds   the byte ends a document: an EOS, or its row's last byte      [Σ N]
 * @param layout     the rows' patch layouts end to end: start/end index bytes of {@link #tokens}, patchIds and
 *                   decoderPatchIds index the Σ P patches, lengths concatenated
 * @param firstPatch the first patch of each patch's row                          [Σ P]
 * @param patchPos   position of each patch in its row                            [Σ P]
 * @param eosPatch   the patch holds an EOS                                       [Σ P]
 */
record PackedRows(int[][] rows, int[] tokens, int[] byteStart, int[] patchStart, int[] bytePos, boolean[] byteEnds,
                  PatchLayout layout, int[] firstPatch, int[] patchPos, boolean[] eosPatch) {

    /** Row r: tokens rows[r] [N_r] patched by patchLengths[r] (summing to at least N_r, first patch 1). */
    static PackedRows of(int[][] rows, int[][] patchLengths, int eosId) {
        int B = rows.length;
        if (B == 0) throw new Blt4jException("a batch needs at least one row");
        if (patchLengths.length != B)
            throw new Blt4jException(B + " rows but " + patchLengths.length + " rows of patch lengths");
        PatchLayout[] ls = new PatchLayout[B];
        int[] byteStart = new int[B + 1], patchStart = new int[B + 1];
        for (int r = 0; r < B; r++) {
            ls[r] = PatchLayout.of(patchLengths[r], rows[r].length);
            byteStart[r + 1] = Math.addExact(byteStart[r], rows[r].length);
            patchStart[r + 1] = Math.addExact(patchStart[r], ls[r].numPatches());
        }
        int N = byteStart[B], P = patchStart[B];
        int[] tokens = new int[N], bytePos = new int[N], patchIds = new int[N], decIds = new int[N];
        boolean[] byteEnds = new boolean[N];
        int[] lengths = new int[P], start = new int[P], end = new int[P], firstPatch = new int[P], patchPos = new int[P];
        boolean[] eosPatch = new boolean[P];
        for (int r = 0; r < B; r++) {
            int b0 = byteStart[r], p0 = patchStart[r], n = rows[r].length;
            PatchLayout l = ls[r];
            for (int i = 0; i < n; i++) {
                int t = rows[r][i];
                tokens[b0 + i] = t;
                bytePos[b0 + i] = i;
                byteEnds[b0 + i] = t == eosId || i == n - 1;
                patchIds[b0 + i] = p0 + l.patchIds()[i];
                decIds[b0 + i] = p0 + l.decoderPatchIds()[i];
                if (t == eosId) eosPatch[p0 + l.patchIds()[i]] = true;
            }
            for (int p = 0; p < l.numPatches(); p++) {
                lengths[p0 + p] = l.lengths()[p];
                start[p0 + p] = b0 + l.start()[p];
                end[p0 + p] = b0 + l.end()[p];
                firstPatch[p0 + p] = p0;
                patchPos[p0 + p] = p;
            }
        }
        PatchLayout layout = new PatchLayout(N, lengths, start, end, patchIds, decIds);
        return new PackedRows(rows, tokens, byteStart, patchStart, bytePos, byteEnds, layout, firstPatch, patchPos, eosPatch);
    }

    int numRows() { return rows.length; }

    /** Σ N. */
    int numBytes() { return tokens.length; }

    /** Σ P. */
    int numPatches() { return firstPatch.length; }

    /** For the global stack: a row's last patch ends a document, and (block-causal) so does a patch holding an EOS. */
    boolean[] patchEnds(boolean blockCausal) {
        boolean[] e = new boolean[numPatches()];
        for (int p = 0; p < e.length; p++) e[p] = blockCausal && eosPatch[p];
        for (int r = 0; r < numRows(); r++) if (patchStart[r + 1] > patchStart[r]) e[patchStart[r + 1] - 1] = true;
        return e;
    }
}
