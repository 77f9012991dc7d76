package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class PatchLengthsTest {

    @Test
    void startsAndPatchIds() {
        int[] lengths = {1, 3, 2};
        assertArrayEquals(new int[] {0, 1, 4}, PatchLengths.starts(lengths));
        assertArrayEquals(new int[] {0, 1, 1, 1, 2, 2}, PatchLengths.patchIds(lengths, 6));
        // bytes past the sum get P, as in the reference
        assertArrayEquals(new int[] {0, 1, 1, 1, 2, 2, 3, 3}, PatchLengths.patchIds(lengths, 8));
        // zero-length patches are skipped
        assertArrayEquals(new int[] {0, 2, 2, 3}, PatchLengths.patchIds(new int[] {1, 0, 2, 1}, 4));
        assertArrayEquals(new int[] {1, 1}, PatchLengths.patchIds(new int[] {0, 2, 0}, 2));
        assertArrayEquals(new int[] {0, 0}, PatchLengths.patchIds(new int[] {}, 2));
    }

    @Test
    void decoderPatchIdsReadThePatchBeforeTheNextByte() {
        // N = 6 bytes, lengths sum to N + 1 (the next byte is in the last patch)
        int[] lengths = {1, 2, 3, 1};
        int n = 6;
        int[] dec = PatchLengths.decoderPatchIds(lengths, n);
        assertArrayEquals(new int[] {0, 0, 1, 1, 1, 2}, dec);
        int[] enc = PatchLengths.patchIds(lengths, n + 1);
        for (int i = 0; i < n; i++) assertEquals(enc[i + 1] - 1, dec[i], "position " + i);
    }

    @Test
    void decoderPatchIdsRandom() {
        Random rnd = new Random(3);
        for (int trial = 0; trial < 500; trial++) {
            int p = 1 + rnd.nextInt(8);
            int[] lengths = new int[p];
            lengths[0] = 1;
            int total = 1;
            for (int q = 1; q < p; q++) total += lengths[q] = 1 + rnd.nextInt(5);
            int n = total - 1;
            int[] enc = PatchLengths.patchIds(lengths, total);
            int[] dec = PatchLengths.decoderPatchIds(lengths, n);
            for (int i = 0; i < n; i++) assertEquals(enc[i + 1] - 1, dec[i]);
        }
    }

    @Test
    void splitLong() {
        assertArrayEquals(new int[] {1, 3, 3, 1, 2, 3, 3}, PatchLengths.splitLong(new int[] {1, 7, 2, 6}, 3));
        assertArrayEquals(new int[] {1, 1, 1}, PatchLengths.splitLong(new int[] {1, 2}, 1));
        int[] same = {4, 5};
        assertArrayEquals(same, PatchLengths.splitLong(same, null));
        assertArrayEquals(new int[] {5, 0}, PatchLengths.splitLong(new int[] {5, 0}, 5));
        assertThrows(Blt4jException.class, () -> PatchLengths.splitLong(same, 0));
    }

    @Test
    void fromStartsTrimAndPad() {
        assertArrayEquals(new int[] {1, 2, 3}, PatchLengths.fromStarts(new int[] {0, 1, 3}, 6));
        // starts at or past the total and repeated starts are ignored
        assertArrayEquals(new int[] {1, 4}, PatchLengths.fromStarts(new int[] {0, 1, 1, 5, 6}, 5));
        assertArrayEquals(new int[] {}, PatchLengths.fromStarts(new int[] {0, 1}, 0));
        assertArrayEquals(new int[] {1, 2}, PatchLengths.trimTrailingZeros(new int[] {1, 2, 0, 0}));
        assertArrayEquals(new int[][] {{1, 2, 0}, {3, 1, 1}}, PatchLengths.padRows(new int[][] {{1, 2}, {3, 1, 1}}));
    }
}
