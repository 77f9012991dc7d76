package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Golden checkpoints converted to BF16 load and give (a) exactly the logits of the fp32 model whose weights were
 * rounded to bf16 in memory, and (b) logits within bf16 tolerance of the fp32 model.
 */
class Bf16CheckpointTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> bltInBf16() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Path bf16 = tmp.resolve(c.name() + "-bf16");
                Checkpoint.convert(c.dir(), bf16, DType.BF16);
                int[] tokens = GoldenCases.ints2(c.json().get("tokens"))[0];
                int[] lengths = GoldenCases.ints2(c.json().get("patch_lengths"))[0];

                ByteLatentTransformer fp32 = ModelLoader.blt(c.dir(), false);
                float[] ref = fp32.forward(tokens, lengths);
                ByteLatentTransformer rounded = ModelLoader.blt(c.dir(), false);
                roundToBf16(rounded.params());
                float[] expected = rounded.forward(tokens, lengths);

                for (boolean mapped : new boolean[] {true, false}) {
                    float[] got = ModelLoader.blt(bf16, mapped).forward(tokens, lengths);
                    assertArrayEquals(expected, got, 0f, "bf16 checkpoint vs bf16-rounded fp32 weights, mapped=" + mapped);
                }
                assertWithinBf16(ref, expected, c.name());
            }));
        }
        for (GoldenCases.Case c : GoldenCases.ofKind("entropy_model_forward")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Path bf16 = tmp.resolve(c.name() + "-bf16");
                Checkpoint.convert(c.dir(), bf16, DType.BF16);
                int[] tokens = GoldenCases.ints2(c.json().get("tokens"))[0];
                float[] ref = ModelLoader.entropyModel(c.dir()).forward(tokens);
                EntropyModel rounded = ModelLoader.entropyModel(c.dir());
                roundToBf16(rounded.params());
                float[] expected = rounded.forward(tokens);
                float[] got = ModelLoader.entropyModel(bf16).forward(tokens);
                assertArrayEquals(expected, got, 0f, "bf16 checkpoint vs bf16-rounded fp32 weights");
                assertWithinBf16(ref, expected, c.name());
            }));
        }
        return tests;
    }

    static void roundToBf16(ParamStore p) {
        float[] d = p.data();
        for (int i = 0; i < d.length; i++) d[i] = DType.bf16ToFloat(DType.floatToBf16(d[i]));
    }

    /** bf16 keeps 8 significant bits: logits may move by a few 2^-8 of their scale, never more. */
    static void assertWithinBf16(float[] ref, float[] got, String what) {
        double scale = 0, worst = 0;
        for (int i = 0; i < ref.length; i++) {
            scale = Math.max(scale, Math.abs(ref[i]));
            worst = Math.max(worst, Math.abs(ref[i] - got[i]));
        }
        assertTrue(worst > 0, what + ": bf16 rounding changed nothing, the test is not testing");
        assertTrue(worst <= 8 * Math.pow(2, -8) * scale, what + ": bf16 logits differ by " + worst + " (scale " + scale + ")");
    }
}
