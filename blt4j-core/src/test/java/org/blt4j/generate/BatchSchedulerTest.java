package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import org.blt4j.generate.CachedGeneratorTest.Setup;
import org.junit.jupiter.api.Test;

/**
 * The continuous-batching scheduler against each generation run alone by {@link CachedGenerator}: same ids and the
 * same logits bit for bit, with prompts of different lengths, generations that join at different steps (submitted
 * from another generation's listener, so the step is known), more generations than the batch holds, and rows that
 * leave early (listener, cancel, error) without disturbing the others.
 */
class BatchSchedulerTest {
    private static final int MAX = 30;

    /** A generation's ids and the logits of each of its steps. */
    record Run(int[] ids, List<float[]> logits) {}

    static Sampler sampler(int r) {
        return r % 2 == 0 ? Sampler.greedy() : Sampler.of(0.9, 20, 0.95, 100 + r);
    }

    static Run alone(Setup s, int[] prompt, int r, int stopAfter) {
        List<float[]> logits = new ArrayList<>();
        int[] ids = new CachedGenerator(s.blt(), s.em(), s.patcher()).generate(prompt, MAX, sampler(r), false,
                (id, step) -> {
                    logits.add(step.logits());
                    return logits.size() < stopAfter;
                });
        return new Run(ids, logits);
    }

    static void assertSame(Run alone, int[] ids, List<float[]> logits, String what) {
        assertArrayEquals(alone.ids(), ids, what + ": ids");
        assertEquals(alone.logits().size(), logits.size(), what + ": steps");
        for (int t = 0; t < logits.size(); t++)
            assertArrayEquals(alone.logits().get(t), logits.get(t), what + " step " + t + ": same bits batched or alone");
    }

    @Test
    void joinsAtDifferentStepsGiveTheSameBitsAsAlone() throws Exception {
        Setup s = CachedGeneratorTest.randomSetup(11);
        Random rnd = new Random(3);
        int n = 5;
        int[][] prompts = new int[n][];
        for (int r = 0; r < n; r++) prompts[r] = CachedGeneratorTest.prompt(rnd);
        List<List<float[]>> logits = new ArrayList<>();
        for (int r = 0; r < n; r++) logits.add(java.util.Collections.synchronizedList(new ArrayList<>()));
        BatchScheduler.Ticket[] t = new BatchScheduler.Ticket[n];
        try (BatchScheduler b = new BatchScheduler(s.blt(), s.em(), s.patcher(), 8)) {
            // row 0 submits row 1 at its 3rd id and row 2 at its 8th; row 1 submits rows 3 and 4 at its 2nd
            Generator.Listener[] ls = new Generator.Listener[n];
            for (int r = 0; r < n; r++) {
                int row = r;
                ls[r] = (id, step) -> {
                    List<float[]> mine = logits.get(row);
                    mine.add(step.logits());
                    if (row == 0 && mine.size() == 3) t[1] = b.submit(prompts[1], MAX, sampler(1), false, ls[1]);
                    if (row == 0 && mine.size() == 8) t[2] = b.submit(prompts[2], MAX, sampler(2), false, ls[2]);
                    if (row == 1 && mine.size() == 2) {
                        t[3] = b.submit(prompts[3], MAX, sampler(3), false, ls[3]);
                        t[4] = b.submit(prompts[4], MAX, sampler(4), false, ls[4]);
                    }
                    return row != 4 || mine.size() < 6;                 // row 4 leaves early
                };
            }
            t[0] = b.submit(prompts[0], MAX, sampler(0), false, ls[0]);
            for (int r = 0; r < n; r++) {
                while (t[r] == null) Thread.onSpinWait();              // submitted by a listener
                int[] ids = t[r].await();
                assertSame(alone(s, prompts[r], r, r == 4 ? 6 : Integer.MAX_VALUE), ids, logits.get(r), "row " + r);
            }
        }
        assertTrue(t[1].joinedAt() > t[0].joinedAt() && t[2].joinedAt() > t[1].joinedAt()
                && t[4].joinedAt() > t[3].joinedAt(), "joined at different steps");
        assertTrue(t[2].joinedAt() - t[0].joinedAt() < MAX, "row 0 was still running when row 2 joined");
    }

    /**
     * A batch larger than the products keep exact (16 rows; fp32 past 32 takes the blocked GEMM) runs its steps in
     * groups, so 40 rows at once still give each row's bits alone.
     */
    @Test
    void aBatchPastSixteenRowsStillGivesTheBitsOfEachRowAlone() throws Exception {
        Setup s = CachedGeneratorTest.randomSetup(13);
        Random rnd = new Random(17);
        int n = 40, steps = 50;
        int[][] prompts = new int[n][];
        for (int r = 0; r < n; r++) prompts[r] = CachedGeneratorTest.prompt(rnd);
        List<List<float[]>> logits = new ArrayList<>();
        BatchScheduler.Ticket[] t = new BatchScheduler.Ticket[n];
        for (int r = 0; r < n; r++) logits.add(java.util.Collections.synchronizedList(new ArrayList<>()));
        try (BatchScheduler b = new BatchScheduler(s.blt(), s.em(), s.patcher(), n)) {
            Generator.Listener[] ls = new Generator.Listener[n];
            for (int r = 0; r < n; r++) {
                int row = r;
                ls[r] = (id, step) -> {
                    List<float[]> mine = logits.get(row);
                    mine.add(step.logits());
                    // row 0's first id submits the others from the scheduler's thread: they join one per step
                    if (row == 0 && mine.size() == 1)
                        for (int q = 1; q < n; q++) t[q] = b.submit(prompts[q], steps, sampler(q), false, ls[q]);
                    return true;
                };
            }
            t[0] = b.submit(prompts[0], steps, sampler(0), false, ls[0]);
            for (int r = 0; r < n; r++) {
                while (t[r] == null) Thread.onSpinWait();
                t[r].await();
            }
            // joins come one per step and row 0 makes `steps` ids: all 40 rows were in the batch when the last joined
            assertTrue(t[n - 1].joinedAt() - t[0].joinedAt() < steps - 1, "the 40 rows never ran together");
        }
        for (int r = 0; r < n; r++) {
            List<float[]> alone = new ArrayList<>();
            int[] ids = new CachedGenerator(s.blt(), s.em(), s.patcher()).generate(prompts[r], steps, sampler(r), false,
                    (id, step) -> alone.add(step.logits()));
            assertSame(new Run(ids, alone), t[r].await(), logits.get(r), "row " + r);
        }
    }

    @Test
    void moreGenerationsThanTheBatchHoldsWaitTheirTurn() throws Exception {
        Setup s = CachedGeneratorTest.randomSetup(5);
        Random rnd = new Random(9);
        int n = 6;
        int[][] prompts = new int[n][];
        for (int r = 0; r < n; r++) prompts[r] = CachedGeneratorTest.prompt(rnd);
        BatchScheduler.Ticket[] t = new BatchScheduler.Ticket[n];
        List<List<float[]>> logits = new ArrayList<>();
        try (BatchScheduler b = new BatchScheduler(s.blt(), s.em(), s.patcher(), 2)) {
            for (int r = 0; r < n; r++) {
                List<float[]> mine = new ArrayList<>();
                logits.add(mine);
                t[r] = b.submit(prompts[r], MAX, sampler(r), false, (id, step) -> mine.add(step.logits()));
            }
            for (int r = 0; r < n; r++) assertSame(alone(s, prompts[r], r, Integer.MAX_VALUE), t[r].await(), logits.get(r), "row " + r);
        }
    }

    @Test
    void aFailingOrCancelledRowLeavesAndTheOthersGoOn() throws Exception {
        Setup s = CachedGeneratorTest.randomSetup(7);
        Random rnd = new Random(1);
        int[] p0 = CachedGeneratorTest.prompt(rnd), p1 = CachedGeneratorTest.prompt(rnd), p2 = CachedGeneratorTest.prompt(rnd);
        try (BatchScheduler b = new BatchScheduler(s.blt(), s.em(), s.patcher(), 4)) {
            int[] seen = {0}, made0 = {0};
            BatchScheduler.Ticket cancelMe = b.submit(p2, MAX, sampler(2), false, (id, step) -> ++seen[0] > 0);
            BatchScheduler.Ticket t0 = b.submit(p0, MAX, sampler(0), false, (id, step) -> {
                if (++made0[0] == 4) cancelMe.cancel();                // row 2 leaves at this step
                return true;
            });
            BatchScheduler.Ticket bad = b.submit(p1, MAX, sampler(1), false, (id, step) -> {
                throw new IllegalStateException("listener failed");
            });
            ExecutionException e = assertThrows(ExecutionException.class, () -> bad.result().get());
            assertEquals("listener failed", e.getCause().getMessage());
            Run alone = new Run(new CachedGenerator(s.blt(), s.em(), s.patcher()).generate(p0, MAX, sampler(0), false, null), null);
            assertArrayEquals(alone.ids(), t0.await());
            int[] cancelled = cancelMe.await();
            assertTrue(cancelled.length < MAX && cancelled.length == seen[0], "cancelled after " + cancelled.length + " ids");
        }
    }
}
