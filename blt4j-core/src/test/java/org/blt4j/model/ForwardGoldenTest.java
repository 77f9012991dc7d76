package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.SafeTensors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Entropy-model logits/entropies and BLT logits against every golden case, within the case's atol. */
class ForwardGoldenTest {

    @TestFactory
    List<DynamicTest> entropyModelForward() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("entropy_model_forward")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                EntropyModel m = ModelLoader.entropyModel(c.dir());
                int[][] tokens = GoldenCases.ints2(c.json().get("tokens"));
                double atolLogits = c.json().path("atol_logits").asDouble(1e-4);
                double atolEntropy = c.json().path("atol_entropy").asDouble(1e-4);
                try (SafeTensors exp = SafeTensors.open(c.dir().resolve("expected.safetensors"))) {
                    float[] logits = exp.floats("logits");
                    float[] entropies = exp.floats("entropies");
                    int V = m.args().vocabSize();
                    for (int b = 0; b < tokens.length; b++) {
                        int L = tokens[b].length;
                        float[] got = m.forward(tokens[b]);
                        assertClose(logits, b * L * V, got, atolLogits, c.name() + " logits row " + b);
                        float[] H = Entropy.ofLogits(got, L, V);
                        assertClose(entropies, b * L, H, atolEntropy, c.name() + " entropies row " + b);
                    }
                }
            }));
        }
        assertTrue(!tests.isEmpty(), "no entropy_model_forward golden cases found under " + GoldenCases.root());
        return tests;
    }

    @TestFactory
    List<DynamicTest> bltForward() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            for (boolean mapped : new boolean[] {true, false}) {
                tests.add(DynamicTest.dynamicTest(c.name() + (mapped ? " (mapped hash tables)" : " (heap)"), () -> {
                    ByteLatentTransformer m = ModelLoader.blt(c.dir(), mapped);
                    int[][] tokens = GoldenCases.ints2(c.json().get("tokens"));
                    int[][] lengths = GoldenCases.ints2(c.json().get("patch_lengths"));
                    double atol = c.json().path("atol_logits").asDouble(1e-4);
                    try (SafeTensors exp = SafeTensors.open(c.dir().resolve("expected.safetensors"))) {
                        float[] logits = exp.floats("logits");
                        int V = m.args().vocabSize();
                        for (int b = 0; b < tokens.length; b++) {
                            int N = tokens[b].length;
                            float[] got = m.forward(tokens[b], lengths[b]);
                            assertClose(logits, b * N * V, got, atol, c.name() + " logits row " + b);
                        }
                    }
                }));
            }
        }
        assertTrue(!tests.isEmpty(), "no blt golden cases found under " + GoldenCases.root());
        return tests;
    }

    static void assertClose(float[] expected, int off, float[] got, double atol, String what) {
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < got.length; i++) {
            double d = Math.abs(expected[off + i] - got[i]);
            if (!(d <= worst)) { worst = d; worstAt = i; }
        }
        assertTrue(worst <= atol, what + ": max |diff| " + worst + " at " + worstAt + " > atol " + atol
                + " (expected " + (worstAt >= 0 ? expected[off + worstAt] : 0) + ", got " + (worstAt >= 0 ? got[worstAt] : 0) + ")");
    }
}
