package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * bf16 checkpoints with the weights kept mapped ({@link org.blt4j.tensor.Bf16Gemm}) compute what the same bf16
 * weights widened onto the heap compute: forward logits within float rounding, and the same cached generation.
 */
class MappedBf16GenerationTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> mappedMatchesHeap() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            if (!c.json().has("generation")) continue;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                Path bltDir = tmp.resolve(c.name()), emDir = tmp.resolve(c.name() + "-entropy");
                Checkpoint.convert(c.dir(), bltDir, DType.BF16);
                Checkpoint.convert(c.dir().resolve(c.json().get("entropy_model").asText()).normalize(), emDir, DType.BF16);
                ByteLatentTransformer heap = ModelLoader.blt(bltDir, true), mapped = ModelLoader.blt(bltDir, true, true);
                EntropyModel emHeap = ModelLoader.entropyModel(emDir), emMapped = ModelLoader.entropyModel(emDir, true);
                assertTrue(mapped.params().mappedBytes() > 0 && emMapped.params().mappedBytes() > 0, "weights are mapped");
                assertTrue(mapped.params().size() < heap.params().size() / 4, "mapped weights are not on the heap");

                int[] tokens = GoldenCases.ints2(c.json().get("tokens"))[0];
                int[] lengths = GoldenCases.ints2(c.json().get("patch_lengths"))[0];
                float[] a = heap.forward(tokens, lengths), b = mapped.forward(tokens, lengths);
                for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4f, "logit " + i);
                float[] ha = emHeap.entropies(tokens), hb = emMapped.entropies(tokens);
                for (int i = 0; i < ha.length; i++) assertEquals(ha[i], hb[i], 1e-4f, "entropy " + i);

                Patcher patcher = PatcherArgs.entropy(c.json().get("patching_threshold").asDouble()).build();
                int[] prompt = GoldenCases.ints(c.json().get("generation").get("prompt"));
                int[] want = new NoCacheGenerator(heap, emHeap, patcher).generate(prompt, 24, Sampler.greedy(), false, null);
                int[] got = new CachedGenerator(mapped, emMapped, patcher).generate(prompt, 24, Sampler.greedy(), false, null);
                assertArrayEquals(want, got, "cached generation on mapped bf16 weights");

                assertThrows(org.blt4j.Blt4jException.class, () -> mapped.forwardBackward(tokens, tokens, null, lengths, 1f,
                        new float[(int) mapped.params().size()]), "no training on mapped weights");
            }));
        }
        return tests;
    }
}
