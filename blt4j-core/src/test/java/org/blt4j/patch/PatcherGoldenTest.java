package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.blt4j.golden.GoldenCases;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/** Every sub-case of every golden case of kind patcher: exact patch_lengths. */
class PatcherGoldenTest {

    @TestFactory
    Stream<DynamicContainer> goldenPatcher() {
        List<GoldenCases.Case> cases = GoldenCases.ofKind("patcher");
        assertFalse(cases.isEmpty(), "no golden case of kind patcher under " + GoldenCases.root());
        return cases.stream().map(c -> DynamicContainer.dynamicContainer(c.name(), subCases(c)));
    }

    private static Stream<DynamicTest> subCases(GoldenCases.Case c) {
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode subs = c.json().get("cases");
        for (int s = 0; s < subs.size(); s++) {
            JsonNode sub = subs.get(s);
            int[] tokens = GoldenCases.ints(sub.get("tokens"));
            JsonNode ent = sub.get("entropies");
            float[] entropies = ent == null || ent.isNull() ? null : GoldenCases.floats(ent);
            boolean inc = sub.get("include_next_token").asBoolean();
            JsonNode args = sub.get("args");
            int[] expected = GoldenCases.ints(sub.get("patch_lengths"));
            String name = "#" + s + " text " + sub.path("text_index").asText("?") + " " + args + " include_next_token=" + inc;
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Patcher patcher = PatcherArgs.fromJson(args).build();
                int[] got = patcher.patchLengths(tokens, entropies, inc);
                assertArrayEquals(expected, got, c.name() + " " + name);
                assertEquals(tokens.length + (inc ? 1 : 0), PatchLengths.sum(got));
                // in a batch, next to a shorter row: each row is patched on its own, then zero-padded
                int half = tokens.length / 2;
                int[] shortTokens = java.util.Arrays.copyOf(tokens, half);
                float[] shortEntropies = entropies == null ? null : java.util.Arrays.copyOf(entropies, half);
                int[][] batch = patcher.patchLengths(new int[][] {tokens, shortTokens},
                        entropies == null ? null : new float[][] {entropies, shortEntropies}, inc);
                assertArrayEquals(expected, PatchLengths.trimTrailingZeros(batch[0]));
                assertArrayEquals(patcher.patchLengths(shortTokens, shortEntropies, inc), PatchLengths.trimTrailingZeros(batch[1]));
            }));
        }
        return tests.stream();
    }
}
