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

    @Test
    void theLaneFormAgreesWithTheDoubleForm() {
        java.util.Random r = new java.util.Random(4);
        for (int V : new int[] {1, 3, 17, 260}) {
            for (int t = 0; t < 50; t++) {
                float[] l = new float[V + 5];
                double scale = t % 3 == 0 ? 0.1 : t % 3 == 1 ? 3 : 30;
                for (int i = 0; i < l.length; i++) l[i] = (float) (r.nextGaussian() * scale);
                if (t % 7 == 0 && V > 1) l[2 + r.nextInt(V)] = Float.NEGATIVE_INFINITY; // not every logit: then nothing is defined
                double want = Entropy.ofRow(l, 2, V);
                assertEquals(want, Entropy.ofRowLanes(l, 2, V), 2e-6 * Math.max(1, want), "V " + V + " scale " + scale);
            }
        }
        float[] peaked = new float[260];
        peaked[7] = 1000f;
        assertEquals(0.0, Entropy.ofRowLanes(peaked, 0, 260), 1e-6);
        assertEquals(Math.log(260), Entropy.ofRowLanes(new float[260], 0, 260), 1e-5);
    }
}
