package org.blt4j.run;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;

/**
 * A run's metrics as JSON lines in {@code RUN/metrics.jsonl}, one object per logged step:
 * {@code {"step": 120, "train_loss": 2.31, "train_bpb": 3.33, "lr": 0.001, ...}}. Every field but "step" is an
 * optional number; a field may also be null, and NaN and infinities are written as the strings "NaN", "Infinity" and
 * "-Infinity" (JSON has no such numbers). Each line goes to the file in one write as soon as it is appended.
 * <p>
 * On resume from a checkpoint at step S, {@link #resume} drops the lines of steps after S, so the log describes
 * one history; it does so only when the resumed run installs its first checkpoint ({@link #checkpointed}), and holds
 * the new lines until then: a resume killed before it leaves the file as it was, matching the run's {@code latest}.
 * A new run ({@link #fresh}) starts an empty file. One writer per run folder.
 */
public final class MetricsLog implements AutoCloseable {
    public static final String FILE = "metrics.jsonl";
    public static final String STEP = "step";
    public static final String TRAIN_LOSS = "train_loss";
    public static final String TRAIN_BPB = "train_bpb";
    public static final String HELDOUT_BPB = "heldout_bpb";
    /** The final evaluation, on every held-out byte (the periodic ones read the first eval_bytes). */
    public static final String HELDOUT_BPB_ALL = "heldout_bpb_all";
    public static final String LR = "lr";
    public static final String GRAD_NORM = "grad_norm";
    public static final String BYTES_PER_S = "bytes_per_s";
    public static final String AVG_PATCH_LEN = "avg_patch_len";
    public static final String ELAPSED_S = "elapsed_s";

    /** One line: a step and its named values (in the order they were added; a value may be null). */
    public record Entry(long step, Map<String, Double> values) {
        public Entry {
            LinkedHashMap<String, Double> copy = new LinkedHashMap<>(values);
            if (copy.containsKey(STEP)) throw new Blt4jException("\"" + STEP + "\" is not a value name: it is the entry's step");
            values = Collections.unmodifiableMap(copy);
        }

        /** An entry with no values yet. */
        public static Entry at(long step) {
            return new Entry(step, Map.of());
        }

        /** A copy with {@code key} set to {@code value} (null: present as null). */
        public Entry with(String key, Double value) {
            LinkedHashMap<String, Double> copy = new LinkedHashMap<>(values);
            copy.put(key, value);
            return new Entry(step, copy);
        }

        /** The value, or null when absent or null. */
        public Double get(String key) {
            return values.get(key);
        }
    }

    private final Path file;
    private FileChannel out;
    /** a resume's step whose later lines are dropped at the first checkpoint, -1 when none is pending */
    private long pendingFrom = -1;
    /** a pending resume's new lines */
    private final List<String> held = new ArrayList<>();

    private MetricsLog(Path file, FileChannel out) {
        this.file = file;
        this.out = out;
    }

    /** Appends to {@code runDir/metrics.jsonl} (created when absent); a last line cut short by a crash is removed. */
    public static MetricsLog open(Path runDir) {
        Path file = createRun(runDir).resolve(FILE);
        if (!endsWithNewline(file)) keepUpTo(file, Long.MAX_VALUE);
        return append(file);
    }

    /**
     * A new run's log: an empty file (lines left by a run that never wrote a checkpoint are dropped: it cannot be
     * resumed, and its steps would repeat this run's).
     */
    public static MetricsLog fresh(Path runDir) {
        Path file = createRun(runDir).resolve(FILE);
        if (Files.exists(file)) RunFiles.writeAtomically(file, new byte[0]);
        return append(file);
    }

    /**
     * A resumed run's log: as {@link #open}, but every line of a step after {@code step} is removed (atomically) when
     * the run installs its first checkpoint ({@link #checkpointed}); its new lines wait in memory until then.
     */
    public static MetricsLog resume(Path runDir, long step) {
        Path file = createRun(runDir).resolve(FILE);
        if (!endsWithNewline(file)) keepUpTo(file, Long.MAX_VALUE);
        MetricsLog log = append(file);
        log.pendingFrom = step;
        return log;
    }

    /** The run installed a checkpoint: a pending resume's older history is cut and its held lines written. */
    public synchronized void checkpointed() {
        if (pendingFrom < 0) return;
        try {
            out.close();
        } catch (IOException e) {
            throw new Blt4jException("cannot close " + file + ": " + e, e);
        }
        if (Files.exists(file)) keepUpTo(file, pendingFrom);
        out = appending(file);
        pendingFrom = -1;
        for (String line : held) write(line);
        held.clear();
    }

    public Path file() {
        return file;
    }

    /** Writes one line. */
    public synchronized void append(Entry entry) {
        ObjectNode o = RunFiles.JSON.createObjectNode();
        o.put(STEP, entry.step());
        entry.values().forEach((k, v) -> {
            if (v == null) o.putNull(k);
            else if (Double.isFinite(v)) o.put(k, v);
            else o.put(k, v.toString()); // "NaN", "Infinity", "-Infinity"
        });
        String line;
        try {
            line = RunFiles.JSON.writeValueAsString(o) + "\n";
        } catch (IOException e) {
            throw new Blt4jException("cannot encode a line of " + file + ": " + e, e);
        }
        if (pendingFrom >= 0) held.add(line);
        else write(line);
    }

    private void write(String line) {
        try {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) out.write(b);
        } catch (IOException e) {
            throw new Blt4jException("cannot append to " + file + ": " + e, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new Blt4jException("cannot close " + file + ": " + e, e);
        }
    }

    /** Every entry of a metrics file (or of a run folder's metrics.jsonl), in file order. */
    public static List<Entry> read(Path fileOrRunDir) {
        Path file = Files.isDirectory(fileOrRunDir) ? fileOrRunDir.resolve(FILE) : fileOrRunDir;
        List<String> lines = lines(file);
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            Entry e = parse(lines.get(i), file, i + 1, i == lines.size() - 1);
            if (e != null) out.add(e);
        }
        return out;
    }

    /** Points a series keeps at most: a longer one is thinned to every k-th point (and its last). */
    static final int MAX_POINTS = 4000;

    /**
     * A plot of training and held-out bits per byte against step, points in step order (a file's order may not be:
     * one written by hand, or by older runs), each series thinned to {@link #MAX_POINTS}; add a reference line as wanted.
     */
    public static SvgPlot bpbPlot(List<Entry> entries, String title) {
        SvgPlot plot = new SvgPlot(title).xLabel("step").yLabel("bits per byte");
        for (String[] s : new String[][] {{TRAIN_BPB, "train"}, {HELDOUT_BPB, "held-out (first eval_bytes)"},
                {HELDOUT_BPB_ALL, "held-out (all bytes)"}}) {
            List<double[]> points = new ArrayList<>();
            for (Entry e : entries)
                if (e.get(s[0]) != null) points.add(new double[] {e.step(), e.get(s[0])});
            if (points.isEmpty()) continue;
            points.sort(java.util.Comparator.comparingDouble(p -> p[0]));   // stable: a step's lines keep their order
            int k = (points.size() + MAX_POINTS - 1) / MAX_POINTS;
            List<double[]> kept = new ArrayList<>();
            for (int i = 0; i < points.size(); i += k) kept.add(points.get(i));
            if (kept.getLast() != points.getLast()) kept.add(points.getLast());
            plot.series(s[1], kept.stream().mapToDouble(p -> p[0]).toArray(), kept.stream().mapToDouble(p -> p[1]).toArray());
        }
        return plot;
    }

    // ---- internals ----

    private static Path createRun(Path runDir) {
        try {
            return Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new Blt4jException("cannot create run folder " + runDir + ": " + e, e);
        }
    }

    /** The lines of the file; the last one is kept even without its newline (parse decides whether it is whole). */
    private static List<String> lines(Path file) {
        if (!Files.isRegularFile(file)) throw new Blt4jException("metrics file " + file + " does not exist");
        String text = new String(RunFiles.readAll(file), StandardCharsets.UTF_8);
        List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
        if (out.getLast().isEmpty()) out.removeLast(); // the newline after the last line
        return out;
    }

    /** True for an empty or absent file and for one whose last byte is a newline. */
    private static boolean endsWithNewline(Path file) {
        if (!Files.exists(file)) return true;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (ch.size() == 0) return true;
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, ch.size() - 1);
            return b.get(0) == '\n';
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /** Rewrites the file (atomically) with the whole lines of steps <= {@code step}. */
    private static void keepUpTo(Path file, long step) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream();
        List<String> lines = lines(file);
        for (int i = 0; i < lines.size(); i++) {
            Entry e = parse(lines.get(i), file, i + 1, i == lines.size() - 1);
            if (e != null && e.step() <= step) kept.writeBytes((lines.get(i) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        RunFiles.writeAtomically(file, kept.toByteArray());
    }

    private static MetricsLog append(Path file) {
        return new MetricsLog(file, appending(file));
    }

    private static FileChannel appending(Path file) {
        try {
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new Blt4jException("cannot open " + file + ": " + e, e);
        }
    }

    /** The entry of one line; null for blank lines and for a malformed last line (cut short by a crash). */
    private static Entry parse(String line, Path file, int lineNo, boolean last) {
        if (line.isBlank()) return null;
        try {
            JsonNode o = RunFiles.JSON.readTree(line);
            JsonNode step = o == null ? null : o.get(STEP);
            if (step == null || !step.isIntegralNumber() || !step.canConvertToLong())
                throw new Blt4jException(file + " line " + lineNo + ": expected an object with an integer \"step\"");
            LinkedHashMap<String, Double> values = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> f : o.properties()) {
                if (f.getKey().equals(STEP)) continue;
                values.put(f.getKey(), number(f.getValue(), file, lineNo, f.getKey()));
            }
            return new Entry(step.longValue(), values);
        } catch (JacksonException e) {
            if (last) return null;
            // the file's line number and the column only (Jackson's own position counts from the line: line 1)
            String what = String.valueOf(e.getOriginalMessage()).replaceAll("\\s+", " ");
            if (what.indexOf(": enable") > 0) what = what.substring(0, what.indexOf(": enable"));   // a parser option's hint
            if (what.length() > 160) what = what.substring(0, 160) + "...";
            var loc = e.getLocation();
            throw new Blt4jException(file + " line " + lineNo + (loc != null && loc.getColumnNr() > 0 ? ", column " + loc.getColumnNr() : "")
                    + " is not valid JSON: " + what + (what.contains("Non-standard token")
                    ? " (NaN and infinities are written as strings in this file: \"NaN\", \"Infinity\")" : ""), e);
        }
    }

    private static Double number(JsonNode v, Path file, int lineNo, String key) {
        if (v.isNull()) return null;
        if (v.isNumber()) return v.doubleValue();
        if (v.isTextual())
            switch (v.textValue()) {
                case "NaN": return Double.NaN;
                case "Infinity": return Double.POSITIVE_INFINITY;
                case "-Infinity": return Double.NEGATIVE_INFINITY;
                default: break;
            }
        throw new Blt4jException(file + " line " + lineNo + ": \"" + key + "\" must be a number or null, got " + v);
    }
}
