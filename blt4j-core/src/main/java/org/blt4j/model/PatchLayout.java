package org.blt4j.model;

import org.blt4j.Blt4jException;
import org.blt4j.patch.PatchLengths;

/**
 * Where the patches of one row lie, from its patch lengths [P] (summing to N+1: the last patch also covers the byte
 * about to be predicted) over N bytes.
 *
 * @param start        first byte of patch p, clipped to N          [P]
 * @param end          end (exclusive) of patch p, clipped to N     [P]
 * @param patchIds     patch of byte i                              [N]
 * @param decoderPatchIds patch read by decoder position i: from lengths[1:], so the patch before the one holding byte i+1 [N]
 */
public record PatchLayout(int n, int[] lengths, int[] start, int[] end, int[] patchIds, int[] decoderPatchIds) {

    public int numPatches() { return lengths.length; }

    public static PatchLayout of(int[] lengths, int n) {
        int P = lengths.length;
        if (P == 0) throw new Blt4jException("patch lengths are empty");
        long sum = 0;
        for (int l : lengths) {
            if (l < 0) throw new Blt4jException("negative patch length " + l);
            sum += l;
        }
        if (sum < n) throw new Blt4jException("patch lengths sum to " + sum + " but cover " + n + " bytes (need at least N, usually N+1)");
        if (lengths[0] != 1) throw new Blt4jException("the first patch must hold exactly one byte (BOS), got length " + lengths[0]);
        int[] start = new int[P], end = new int[P];
        long cum = 0;
        for (int p = 0; p < P; p++) {
            start[p] = (int) Math.min(cum, n);
            cum += lengths[p];
            end[p] = (int) Math.min(cum, n);
        }
        int[] patchIds = PatchLengths.patchIds(lengths, n);
        int[] decoderPatchIds = PatchLengths.decoderPatchIds(lengths, n);
        return new PatchLayout(n, lengths.clone(), start, end, patchIds, decoderPatchIds);
    }
}
