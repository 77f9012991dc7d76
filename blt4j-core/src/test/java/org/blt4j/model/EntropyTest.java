package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class EntropyTest {

    @Test
    void entropyFromLogits() {
        float[] uniform = new float[260];
        assertEquals(Math.log(260), Entropy.ofRow(uniform, 0, 260), 1e-5);
        float[] peaked = new float[4];
        peaked[2] = 1000f;
        assertEquals(0.0, Entropy.ofRow(peaked, 0, 4), 1e-6);
        // two rows, each two equally likely values: ln 2
        float[] two = {3f, 3f, -1e9f, 5f, 5f, -1e9f};
        float[] h = Entropy.ofLogits(two, 2, 3);
        assertEquals(Math.log(2), h[0], 1e-6);
        assertEquals(Math.log(2), h[1], 1e-6);
    }

    @Test
    void impossibleBytesCountZero() {
        // a logit of -inf has p = 0: its term is 0, not 0 · -inf = NaN
        float[] logits = {0f, 0f, Float.NEGATIVE_INFINITY};
        assertEquals(Math.log(2), Entropy.ofRow(logits, 0, 3), 1e-9);
    }
}
