package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Training loss and every parameter gradient against the golden cases (max|g − ref| ≤ rtol · max|ref| per tensor). */
class GradientGoldenTest {

    /** Loss and gradient of a golden batch; shared with the optimizer test. */
    record Batch(double loss, float[] grad) {}

    static Batch bltBatch(ByteLatentTransformer m, JsonNode c) {
        int[][] x = GoldenCases.ints2(c.get("tokens")), y = GoldenCases.ints2(c.get("targets"));
        int[][] lengths = GoldenCases.ints2(c.get("patch_lengths"));
        float[][] mask = new float[x.length][];
        double count = 0;
        for (int b = 0; b < x.length; b++) {
            mask[b] = new float[x[b].length];
            for (int i = 0; i < x[b].length; i++) {
                mask[b][i] = c.get("mask").get(b).get(i).asBoolean() ? 1f : 0f;
                count += mask[b][i];
            }
        }
        float scale = (float) (1.0 / (count + 1e-6));
        float[] grad = m.params().newBuffer();
        double loss = 0;
        for (int b = 0; b < x.length; b++) loss += m.forwardBackward(x[b], y[b], mask[b], lengths[b], scale, grad);
        return new Batch(loss * scale, grad);
    }

    static Batch entropyBatch(EntropyModel m, JsonNode c) {
        int[][] tokens = GoldenCases.ints2(c.get("tokens"));
        int count = 0;
        for (int[] row : tokens) count += row.length - 1;
        float scale = 1f / count;
        float[] grad = m.params().newBuffer();
        double loss = 0;
        for (int[] row : tokens)
            loss += m.forwardBackward(Arrays.copyOf(row, row.length - 1), Arrays.copyOfRange(row, 1, row.length), scale, grad);
        return new Batch(loss * scale, grad);
    }

    @TestFactory
    List<DynamicTest> gradients() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                ByteLatentTransformer m = ModelLoader.blt(c.dir(), false);
                Batch batch = bltBatch(m, c.json());
                assertEquals(c.json().get("loss").asDouble(), batch.loss(), 1e-5, c.name() + " loss");
                checkGrads(c, m.params(), batch.grad(), c.json().path("rtol_grads").asDouble(1e-3));
            }));
        }
        for (GoldenCases.Case c : GoldenCases.ofKind("entropy_model_forward")) {
            if (!c.json().has("training")) continue;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                EntropyModel m = ModelLoader.entropyModel(c.dir());
                Batch batch = entropyBatch(m, c.json());
                JsonNode t = c.json().get("training");
                assertEquals(t.get("loss").asDouble(), batch.loss(), 1e-5, c.name() + " loss");
                checkGrads(c, m.params(), batch.grad(), t.path("rtol_grads").asDouble(1e-3));
            }));
        }
        return tests;
    }

    static void checkGrads(GoldenCases.Case c, ParamStore params, float[] grad, double rtol) throws Exception {
        List<String> bad = new ArrayList<>();
        int checked = 0;
        try (SafeTensors exp = SafeTensors.open(c.dir().resolve("expected.safetensors"))) {
            for (ParamStore.Param p : params.params()) {
                String name = "grad." + p.name();
                assertTrue(exp.contains(name), c.name() + ": golden has no " + name);
                float[] ref = exp.floats(name);
                double maxRef = 0, maxDiff = 0;
                for (int i = 0; i < ref.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - grad[p.offset() + i]));
                }
                if (!(maxDiff <= rtol * maxRef)) bad.add(p.name() + " (max diff " + maxDiff + ", max |ref| " + maxRef + ")");
                checked++;
            }
        }
        assertTrue(bad.isEmpty(), c.name() + ": " + bad.size() + "/" + checked + " gradients off: " + bad);
    }
}
