package org.blt4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private ProgressBar bar(boolean terminal) {
        return new ProgressBar("step", 100, "B", new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, 30,
                now::get);
    }

    private void at(double seconds) {
        now.set(1_000_000_000L + (long) (seconds * 1e9));
    }

    private List<String> lines() {
        return bytes.toString(StandardCharsets.UTF_8).lines().toList();
    }

    @Test
    void plainModePrintsAtTenthsAndIntervalsOnly() {
        ProgressBar bar = new ProgressBar("step", 1000, "B", new PrintStream(bytes, true, StandardCharsets.UTF_8), false,
                30, now::get);
        for (int i = 0; i <= 130; i++) { // one step of 1000 bytes a second
            at(i);
            bar.update(i, i * 1000L, "loss", 5.5451 - i * 0.01, "bpb", 3.3333);
        }
        List<String> lines = lines();
        assertEquals(List.of(0, 30, 60, 90, 100, 130), lines.stream() // every 30 s, and at 10%
                .map(l -> Integer.parseInt(l.substring(5, l.indexOf('/')))).toList());
        assertEquals("step 0/1000 [>                   ] 0% loss 5.55 bpb 3.33", lines.getFirst());
        assertEquals("step 130/1000 [==>                 ] 13% loss 4.25 bpb 3.33 | 1.00 kB/s | ETA 14m30s", lines.getLast());
        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("\r"));
    }

    @Test
    void finishPrintsTheFinalLineOnce() {
        ProgressBar bar = bar(false);
        bar.update(0, 0);
        at(50);
        bar.update(99, 99_000, "loss", 1.0);
        at(51);
        bar.update(100, 100_000, "loss", 0.9);
        bar.finish();
        bar.finish();
        List<String> lines = lines();
        assertEquals(3, lines.size(), lines.toString());
        assertEquals("step 100/100 [====================] 100% loss 0.9 | 1.96 kB/s | took 51s", lines.getLast());

        bytes.reset();
        ProgressBar quiet = bar(false);
        quiet.update(0, 0);
        at(52);
        quiet.update(5, 5_000); // not printed: neither a tenth nor the interval
        quiet.finish();
        assertEquals(2, lines().size());
        assertTrue(lines().getLast().startsWith("step 5/100 [=>"), lines().getLast());
    }

    @Test
    void terminalModeRedrawsInPlace() {
        ProgressBar bar = bar(true);
        bar.update(0, 0, "loss", 5.5);
        at(0.01);
        bar.update(1, 100, "loss", 5.4); // throttled: within 100 ms of the last redraw
        at(1);
        bar.update(2, 200, "loss", 5.3);
        bar.println("held-out bpb 3.1");
        at(2);
        bar.update(100, 10_000, "loss", 2.0);
        bar.finish();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rstep 0/100 ["), out);
        assertFalse(out.contains("step 1/100"));
        assertTrue(out.contains("\rheld-out bpb 3.1\n\rstep 2/100"), out); // cleared, printed, redrawn
        assertTrue(out.endsWith("took 2s\n"), out);
        assertEquals(2, out.chars().filter(c -> c == '\n').count());
    }

    @Test
    void withoutAWorkCounterTheRateIsInSteps() {
        ProgressBar bar = new ProgressBar("batch", 1000, null, new PrintStream(bytes, true, StandardCharsets.UTF_8),
                false, 30, now::get);
        bar.update(0, -1);
        at(4);
        bar.update(100, -1, "lr", 0.0003);
        assertEquals("batch 100/1000 [==>                 ] 10% lr 3.00e-04 | 25.0 batch/s | ETA 36s", bar.line());
        assertThrows(Blt4jException.class, () -> bar.update(1, -1, "odd"));
    }

    @Test
    void aResumedJobMeasuresItsRateFromTheFirstUpdate() {
        ProgressBar bar = new ProgressBar("step", 1000, "B", new PrintStream(bytes, true, StandardCharsets.UTF_8), false,
                30, now::get);
        bar.update(500, 500_000);
        at(100);
        bar.update(600, 600_000);
        assertEquals("step 600/1000 [============>       ] 60% | 1.00 kB/s | ETA 6m40s", bar.line());
        at(500);
        bar.update(1000, 1_000_000);
        assertTrue(bar.line().endsWith("100% | 1.00 kB/s | took 8m20s"), bar.line());
    }

    @Test
    void formatsNumbersAndDurations() {
        assertEquals("12.3 k", ProgressBar.si(12_345));
        assertEquals("999 ", ProgressBar.si(999));
        assertEquals("1.00 M", ProgressBar.si(999_999));
        assertEquals("45s", ProgressBar.duration(45));
        assertEquals("3m12s", ProgressBar.duration(192));
        assertEquals("2h05m", ProgressBar.duration(2 * 3600 + 5 * 60 + 7));
        assertEquals("3d04h", ProgressBar.duration(3 * 86400 + 4 * 3600));
        assertEquals("2.31", ProgressBar.format(2.3096));
        assertEquals("0.001", ProgressBar.format(0.001));
        assertEquals("1235", ProgressBar.format(1234.6));
        assertEquals("NaN", ProgressBar.format(Double.NaN));
        assertEquals("7", ProgressBar.format(7));
    }
}
