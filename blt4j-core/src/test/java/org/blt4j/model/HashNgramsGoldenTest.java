package org.blt4j.model;

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

/** Every sub-case of every golden case of kind hash_ngrams, exact. */
class HashNgramsGoldenTest {

    @TestFactory
    Stream<DynamicContainer> goldenHashNgrams() {
        List<GoldenCases.Case> cases = GoldenCases.ofKind("hash_ngrams");
        assertFalse(cases.isEmpty(), "no golden case of kind hash_ngrams under " + GoldenCases.root());
        return cases.stream().map(c -> DynamicContainer.dynamicContainer(c.name(), subCases(c)));
    }

    private static Stream<DynamicTest> subCases(GoldenCases.Case c) {
        int[] tokens = GoldenCases.ints(c.json().get("tokens"));
        List<DynamicTest> tests = new ArrayList<>();
        JsonNode subs = c.json().get("cases");
        for (int s = 0; s < subs.size(); s++) {
            JsonNode sub = subs.get(s);
            int g = sub.get("group_size").asInt();
            int f = sub.get("hash_func_nb").asInt();
            int vocab = sub.get("max_hash").asInt();
            int[] expected = GoldenCases.ints(sub.get("hashes"));
            String name = "#" + s + " g=" + g + " f=" + f + " vocab=" + vocab;
            tests.add(DynamicTest.dynamicTest(name, () -> {
                assertArrayEquals(expected, HashNgrams.hashIds(tokens, g, f, vocab), c.name() + " " + name);
                for (int i = 0; i < tokens.length; i++)
                    assertEquals(expected[i], HashNgrams.hashIdAt(tokens, i, g, f, vocab), c.name() + " " + name + " at " + i);
            }));
        }
        return tests.stream();
    }
}
