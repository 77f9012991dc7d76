package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EntropyPatchingTest {

    @Test
    void entropyFromLogits() {
        float[] uniform = new float[260];
        assertEquals(Math.log(260), EntropyPatching.entropy(uniform, 0, 260), 1e-5);
        float[] peaked = new float[4];
        peaked[2] = 1000f;
        assertEquals(0.0, EntropyPatching.entropy(peaked, 0, 4), 1e-6);
        // two rows, each two equally likely values: ln 2
        float[] two = {3f, 3f, -1e9f, 5f, 5f, -1e9f};
        float[] h = EntropyPatching.entropies(two, 2, 3);
        assertEquals(Math.log(2), h[0], 1e-6);
        assertEquals(Math.log(2), h[1], 1e-6);
    }

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
