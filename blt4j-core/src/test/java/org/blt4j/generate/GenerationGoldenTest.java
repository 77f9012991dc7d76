package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Greedy generation with realtime entropy patching: every step's patch lengths and the generated ids. */
class GenerationGoldenTest {

    @TestFactory
    List<DynamicTest> greedyNoCache() {
        return cases(false, false);
    }

    @TestFactory
    List<DynamicTest> greedyCached() {
        return cases(true, true);
    }

    /** The cached generator with the prompt fed id by id instead of one batched pass. */
    @TestFactory
    List<DynamicTest> greedyCachedNoPrefill() {
        return cases(true, false);
    }

    private static List<DynamicTest> cases(boolean cached, boolean prefill) {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            if (!c.json().has("generation")) continue;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                JsonNode g = c.json().get("generation");
                ByteLatentTransformer blt = ModelLoader.blt(c.dir(), true);
                EntropyModel em = ModelLoader.entropyModel(c.dir().resolve(c.json().get("entropy_model").asText()).normalize());
                Patcher patcher = PatcherArgs.entropy(c.json().get("patching_threshold").asDouble()).build();
                Generator gen = cached ? new CachedGenerator(blt, em, patcher, prefill) : new NoCacheGenerator(blt, em, patcher);
                int[] expected = GoldenCases.ints(g.get("greedy_tokens"));
                List<int[]> lengths = new ArrayList<>();
                int[] got = gen.generate(GoldenCases.ints(g.get("prompt")), expected.length, Sampler.greedy(), false, (id, step) -> {
                    lengths.add(step.patchLengths());
                    return true;
                });
                assertArrayEquals(expected, got, c.name() + " greedy tokens");
                JsonNode steps = g.get("steps");
                assertTrue(steps.size() == lengths.size(), "one step per token");
                for (int s = 0; s < steps.size(); s++)
                    assertArrayEquals(GoldenCases.ints(steps.get(s).get("patch_lengths")), lengths.get(s), c.name() + " step " + s);
                // stopping at EOS: the same ids up to and including the first EOS
                int eos = blt.args().eosId(), firstEos = 0;
                while (firstEos < expected.length && expected[firstEos] != eos) firstEos++;
                int[] stopped = gen.generate(GoldenCases.ints(g.get("prompt")), expected.length, Sampler.greedy(), true, null);
                assertArrayEquals(java.util.Arrays.copyOf(expected, Math.min(expected.length, firstEos + 1)), stopped,
                        c.name() + " stopping at EOS");
            }));
        }
        return tests;
    }
}
