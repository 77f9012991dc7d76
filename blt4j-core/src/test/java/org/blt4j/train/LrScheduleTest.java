package org.blt4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

/** Schedules at key steps: lr 2, warmup 10, steps 110, lr_min_ratio 0.1 (so the decay runs over 100 steps). */
class LrScheduleTest {
    private static LrSchedule of(String kind) {
        return LrSchedule.of(kind, 2.0, 10, 110);
    }

    private static void at(LrSchedule s, long step, double factor) {
        assertEquals(factor, s.factor(step), 1e-12, s.kind() + " at step " + step);
        assertEquals(2.0 * factor, s.lr(step), 1e-12);
    }

    @Test
    void warmupIsLinearFromZeroForEveryKind() {
        for (LrSchedule.Kind k : LrSchedule.Kind.values()) {
            LrSchedule s = of(k.configName);
            at(s, 0, 0.0);
            at(s, 5, 0.5);
            at(s, 10, 1.0);
        }
    }

    @Test
    void linear() {
        LrSchedule s = of("linear");
        at(s, 60, 0.55);     // s = 0.5: 0.5·0.1 + 0.5
        at(s, 110, 0.1);
        at(s, 500, 0.1);
    }

    @Test
    void cosine() {
        LrSchedule s = of("cosine");
        at(s, 35, 0.1 + 0.45 * (Math.cos(Math.PI / 4) + 1));
        at(s, 60, 0.55);
        at(s, 109, 0.1 + 0.45 * (Math.cos(Math.PI * 0.99) + 1));
        at(s, 110, 0.1);
        at(s, 1000, 0.1);
        LrSchedule theta = new LrSchedule(LrSchedule.Kind.COSINE, 2.0, 10, 110, 0.1, 0.1, 0.5, 2.0);
        at(theta, 60, 0.1 + 0.45 * (Math.cos(Math.PI * 0.25) + 1));
    }

    @Test
    void inverseSqrt() {
        LrSchedule s = of("inv_sqrt");
        at(s, 40, 0.5);                  // (10/40)^0.5
        at(s, 90, Math.sqrt(10.0 / 90));
        at(s, 10_000, 0.1);              // floored at lr_min_ratio
    }

    @Test
    void warmupStableDecay() {
        LrSchedule s = of("wsd");        // decay over the last floor(110·0.1) = 11 steps, from step 99
        at(s, 60, 1.0);
        at(s, 99, 1.0);
        at(s, 105, 6.0 / 11 * 0.1 + 5.0 / 11);
        at(s, 110, 0.1);
        at(s, 200, 0.1);
        at(s.withDecayFraction(0.5), 55, 1.0);
        at(s.withDecayFraction(0.5), 82, 27.0 / 55 * 0.1 + 28.0 / 55);
    }

    @Test
    void constantAndNoWarmup() {
        at(of("constant"), 1_000_000, 1.0);
        at(LrSchedule.of("linear", 2.0, 0, 100), 0, 1.0);
        at(LrSchedule.of("cosine", 2.0, 0, 100).withMinRatio(0), 100, 0.0);
        at(LrSchedule.of("linear", 2.0, 100, 100), 100, 0.1);   // warmup == steps: warmup, then the floor
    }

    @Test
    void badConfigsSayWhatIsWrong() {
        Blt4jException e = assertThrows(Blt4jException.class, () -> LrSchedule.of("cosine", 1, 0, -5));
        assertTrue(e.getMessage().contains("steps must be >= 0"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> LrSchedule.of("cosine", 1, 200, 100));
        assertTrue(e.getMessage().contains("warmup (200) must not exceed steps (100)"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> LrSchedule.of("exponential", 1, 0, 100));
        assertTrue(e.getMessage().contains("unknown scheduler 'exponential'") && e.getMessage().contains("wsd"), e.getMessage());
        assertThrows(Blt4jException.class, () -> LrSchedule.of("cosine", 1, 0, 100).withMinRatio(1.5));
        assertThrows(Blt4jException.class, () -> LrSchedule.of("inv_sqrt", 1, 0, 100));
        assertThrows(Blt4jException.class, () -> LrSchedule.of("cosine", -1, 0, 100));
    }
}
