package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FourWayChoiceTest {
    private static List<FourWayItem> items(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<FourWayItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<String> c = new ArrayList<>();
            for (int k = 0; k < 4; k++) c.add("candidate " + i + "." + k + " " + "y".repeat(r.nextInt(50)));
            out.add(new FourWayItem("context " + i + ".", c, r.nextInt(4)));
        }
        return out;
    }

    @Test
    void aScorerThatPrefersTheTruthGetsEveryItem() {
        List<FourWayItem> items = items(300, 1);
        Set<String> truths = items.stream().map(i -> " " + i.candidates().get(i.answer())).collect(Collectors.toSet());
        ContinuationScorer oracle = (ctx, cont) -> new ContinuationScorer.Score(
                truths.contains(new String(cont, StandardCharsets.UTF_8)) ? -0.5 * cont.length : -2.0 * cont.length, cont.length);
        FourWayChoice.Accuracy a = FourWayChoice.accuracy(items, oracle);
        assertEquals(new FourWayChoice.Accuracy(300, 300), a);
        assertEquals(1.0, a.accuracy());
    }

    @Test
    void aRandomScorerGetsAboutAQuarter() {
        List<FourWayItem> items = items(4000, 2);
        SplittableRandom r = new SplittableRandom(3);
        ContinuationScorer random = (ctx, cont) -> new ContinuationScorer.Score(-r.nextDouble() * cont.length, cont.length);
        double acc = FourWayChoice.accuracy(items, random).accuracy();   // sd ≈ 0.0068
        assertTrue(Math.abs(acc - 0.25) < 0.035, "accuracy " + acc);
    }

    @Test
    void thePickIsPerByteNotTotal() {
        FourWayItem it = new FourWayItem("c.", List.of("aaaaaaaaa.", "b.", "cc.", "dddd."), 0);
        // total log-likelihood favours the short "b." (-3), per byte the long first one (-1 per byte vs -1.5)
        ContinuationScorer s = (ctx, cont) -> {
            assertEquals("c.", new String(ctx, StandardCharsets.UTF_8));
            return new ContinuationScorer.Score(cont.length == 11 ? -11 : -1.5 * cont.length, cont.length);
        };
        assertEquals(0, FourWayChoice.choose(it, s));
        ContinuationScorer flat = (ctx, cont) -> new ContinuationScorer.Score(-1, 1);
        assertEquals(0, FourWayChoice.choose(new FourWayItem("c.", List.of("w.", "x.", "y.", "z."), 3), flat), "ties: the first");
        assertTrue(Double.isNaN(FourWayChoice.accuracy(List.of(), flat).accuracy()));
        assertThrows(IllegalArgumentException.class, () -> new ContinuationScorer.Score(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> new FourWayItem("c", List.of("a", "b", "c"), 0));
    }
}
