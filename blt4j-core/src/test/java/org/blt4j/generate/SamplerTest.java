package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SamplerTest {
    /** A temperature so small that logit / T overflows must still pick the most likely id (the T → 0 limit: greedy). */
    @Test
    void tinyTemperatureIsGreedy() {
        float[] logits = {0f, 5f, 1f, -2f, 2f, 4.999f};
        for (double t : new double[] {1e-320, Double.MIN_VALUE, 1e-300, 1e-40, 1e-12})
            for (double topP : new double[] {1, 0.5})
                for (int topK : new int[] {0, 3})
                    for (long seed = 0; seed < 20; seed++)
                        assertEquals(1, Sampler.of(t, topK, topP, seed).next(logits, 0, logits.length),
                                "T=" + t + " top_p=" + topP + " top_k=" + topK + " seed=" + seed);
    }

    /** A broken model's NaN logits are refused, greedy or sampled, rather than turned into an arbitrary id. */
    @Test
    void nanLogitsAreRefused() {
        float[] logits = {0f, 5f, Float.NaN, 1f};
        for (Sampler s : new Sampler[] {Sampler.greedy(), Sampler.of(0.8, 0, 1, 1)}) {
            var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class, () -> s.next(logits, 0, 4));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("NaN"), e.getMessage());
        }
        assertEquals(1, Sampler.greedy().next(new float[] {Float.NEGATIVE_INFINITY, 5f, Float.NEGATIVE_INFINITY}, 0, 3));
    }
}
