package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.junit.jupiter.api.Test;

class EntropyPatchingTest {

    @Test
    void releasedThreshold() {
        float[] h = {2f, 1.3f, 1.4f, 0.1f};
        int[] t = {1, 10, 11, 12};
        // H[p-1] > 1.335442...: p = 3 (H2 = 1.4)
        assertArrayEquals(new int[] {1, 2, 2}, EntropyPatching.patchLengths(t, h, true));
        assertArrayEquals(new int[] {1, 2, 1}, EntropyPatching.patchLengths(t, h, false));
        assertArrayEquals(new int[] {1, 1, 1, 2}, EntropyPatching.patchLengths(t, h, 1.0, true));
    }
}
