package org.blt4j.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path run;

    private static MetricsLog.Entry entry(long step) {
        return MetricsLog.Entry.at(step).with(MetricsLog.TRAIN_LOSS, 2.0 / step).with(MetricsLog.TRAIN_BPB, 3.0 / step)
                .with(MetricsLog.LR, 1e-3).with(MetricsLog.ELAPSED_S, step * 1.5);
    }

    @Test
    void appendsOneJsonLinePerEntryAndReadsThemBack() throws IOException {
        List<MetricsLog.Entry> written = List.of(entry(1), entry(2).with(MetricsLog.HELDOUT_BPB, 2.9),
                entry(3).with(MetricsLog.HELDOUT_BPB, null).with(MetricsLog.GRAD_NORM, Double.NaN),
                MetricsLog.Entry.at(4).with(MetricsLog.TRAIN_LOSS, Double.POSITIVE_INFINITY));
        try (MetricsLog log = MetricsLog.open(run)) {
            for (MetricsLog.Entry e : written) {
                log.append(e);
                assertTrue(Files.readString(log.file()).endsWith("\n")); // on disk as soon as appended
            }
        }
        List<String> lines = Files.readAllLines(run.resolve(MetricsLog.FILE));
        assertEquals(4, lines.size());
        assertEquals("{\"step\":2,\"train_loss\":1.0,\"train_bpb\":1.5,\"lr\":0.001,\"elapsed_s\":3.0,\"heldout_bpb\":2.9}",
                lines.get(1));
        assertTrue(lines.get(2).contains("\"heldout_bpb\":null") && lines.get(2).contains("\"grad_norm\":\"NaN\""));
        assertEquals(written, MetricsLog.read(run));
        assertNull(MetricsLog.read(run).get(2).get(MetricsLog.HELDOUT_BPB));
        assertNull(MetricsLog.read(run).get(0).get(MetricsLog.HELDOUT_BPB));
    }

    @Test
    void resumeDropsTheStepsAfterTheCheckpoint() {
        try (MetricsLog log = MetricsLog.open(run)) {
            for (int s = 1; s <= 6; s++) log.append(entry(s));
        }
        try (MetricsLog log = MetricsLog.resume(run, 3)) {   // killed before its first checkpoint: nothing changes
            log.append(entry(4).with("note", 2.0));
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), MetricsLog.read(run).stream().map(MetricsLog.Entry::step).toList());
        try (MetricsLog log = MetricsLog.resume(run, 3)) {
            log.append(entry(4).with("note", 1.0));
            log.checkpointed();                               // the resumed run's first checkpoint: history cut at 3
            log.append(entry(5));
            log.checkpointed();
        }
        List<MetricsLog.Entry> back = MetricsLog.read(run.resolve(MetricsLog.FILE));
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), back.stream().map(MetricsLog.Entry::step).toList());
        assertEquals(1.0, back.get(3).get("note"));
        // reopening without resume keeps everything
        try (MetricsLog log = MetricsLog.open(run)) {
            log.append(entry(6));
        }
        assertEquals(6, MetricsLog.read(run).size());
        // a new run starts an empty log
        MetricsLog.fresh(run).close();
        assertEquals(List.of(), MetricsLog.read(run));
        // resuming a run that never logged creates the file
        Path fresh = run.resolve("fresh");
        MetricsLog.resume(fresh, 10).close();
        assertEquals(List.of(), MetricsLog.read(fresh));
    }

    @Test
    void aLineCutShortByACrashIsIgnoredAndRemoved() throws IOException {
        Path file = run.resolve(MetricsLog.FILE);
        Files.writeString(file, "{\"step\":1,\"train_loss\":2.5}\n{\"step\":2,\"train_lo");
        assertEquals(1, MetricsLog.read(run).size());
        try (MetricsLog log = MetricsLog.open(run)) {
            log.append(entry(2));
        }
        assertEquals(List.of(1L, 2L), MetricsLog.read(run).stream().map(MetricsLog.Entry::step).toList());
        // a complete last line without its newline is kept
        Files.writeString(file, "{\"step\":1}\n{\"step\":2}");
        MetricsLog.open(run).close();
        assertEquals("{\"step\":1}\n{\"step\":2}\n", Files.readString(file));
    }

    @Test
    void malformedLinesAreReportedWithTheirNumber() throws IOException {
        Files.writeString(run.resolve(MetricsLog.FILE), "{\"step\":1}\nnot json\n{\"step\":3}\n");
        Blt4jException e = assertThrows(Blt4jException.class, () -> MetricsLog.read(run));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(run.resolve(MetricsLog.FILE), "{\"step\":1}\n{\"step\":2,\"train_bpb\":NaN}\n{\"step\":3}\n");
        e = assertThrows(Blt4jException.class, () -> MetricsLog.read(run));   // one line number, and what to write instead
        assertTrue(e.getMessage().contains("line 2, column ") && !e.getMessage().contains("line 1")
                && e.getMessage().contains("written as strings") && !e.getMessage().contains("enable"), e.getMessage());
        Files.writeString(run.resolve(MetricsLog.FILE), "{\"step\":1,\"lr\":\"fast\"}\n");
        e = assertThrows(Blt4jException.class, () -> MetricsLog.read(run));
        assertTrue(e.getMessage().contains("\"lr\" must be a number"), e.getMessage());
        assertThrows(Blt4jException.class, () -> MetricsLog.Entry.at(1).with("step", 2.0));
    }

    @Test
    void bpbPlotHasTrainAndHeldOutSeries() {
        List<MetricsLog.Entry> entries = List.of(entry(1), entry(2).with(MetricsLog.HELDOUT_BPB, 2.9), entry(3));
        String svg = MetricsLog.bpbPlot(entries, "bits per byte").reference(2.65, "gzip -9 2.65 bpb").toSvg();
        assertTrue(svg.contains("<title>train</title>") && svg.contains("<title>held-out (first eval_bytes)</title>"));
        assertTrue(svg.contains("gzip -9 2.65 bpb"));
    }

    /** Found by a hostile probe: steps out of order drew a path that ran backwards; 1e6 points made a 12.7 MB plot. */
    @Test
    void plottedPointsGoInStepOrderAndLongSeriesAreThinned() {
        String svg = MetricsLog.bpbPlot(List.of(entry(5), entry(2), entry(9)), "t").toSvg();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[ML](\\d+\\.\\d) ").matcher(svg.substring(svg.indexOf("<path")));
        List<Double> xs = new java.util.ArrayList<>();
        while (m.find() && xs.size() < 3) xs.add(Double.parseDouble(m.group(1)));
        assertEquals(3, xs.size(), svg);
        assertTrue(xs.get(0) < xs.get(1) && xs.get(1) < xs.get(2), "x in step order: " + xs);
        List<MetricsLog.Entry> many = new java.util.ArrayList<>();
        for (int i = 1; i <= 100_000; i++) many.add(entry(i));
        String big = MetricsLog.bpbPlot(many, "t").toSvg();
        long points = big.chars().filter(c -> c == 'L').count();
        assertTrue(points <= MetricsLog.MAX_POINTS + 1 && points > MetricsLog.MAX_POINTS / 2, points + " points");
    }
}
