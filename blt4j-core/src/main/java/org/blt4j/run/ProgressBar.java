package org.blt4j.run;

import java.io.Console;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;
import org.blt4j.Blt4jException;

/**
 * A one-line progress report for long jobs:
 * <pre>step 120/1000 [==>       ] 12% loss 2.31 bpb 3.33 patch 4.1 | 12.3 kB/s | ETA 3m12s</pre>
 * On a terminal the line is redrawn in place (carriage return) at most 10 times a second. Elsewhere (a pipe, a CI
 * log) a plain line is printed every {@code interval} seconds and whenever progress crosses a tenth of the total,
 * so logs stay readable. The rate (of the caller's work unit, e.g. bytes, else of steps) and the ETA come from
 * an exponentially smoothed rate (time constant 30 s), measured from the first
 * update on, so a resumed job starting half-way gets a true rate; the final line shows the average rate and the time
 * taken. Methods are synchronized, so one updater thread and others calling {@link #println} may share a bar.
 */
public final class ProgressBar {
    private static final int BAR = 20;
    private static final double SMOOTH_S = 30; // time constant of the rate's exponential smoothing
    private static final long REDRAW_NS = 100_000_000L;

    private final String label;
    private long total;
    private final String unit;
    private final PrintStream out;
    private final boolean terminal;
    private final long intervalNs;
    private final LongSupplier clock;

    private final long startNs;
    private long baseNs, baseStep, baseWork, lastNs, lastStep, lastWork, lastPrintNs;
    private boolean started, printed;
    private double stepRate = Double.NaN, workRate = Double.NaN; // per second
    private int lastTenth;
    private int drawnLength;
    private String line = "";
    private boolean finished, linePrinted;

    /**
     * A bar for {@code total} steps called {@code label} ("step"); {@code unit} names the work counted by
     * {@link #update} ("B" for bytes gives "kB/s"), null to show steps/s. Writes to System.out, redrawing in place
     * when it is a terminal ({@link #isTerminal}), else a line every 30 seconds.
     */
    public ProgressBar(String label, long total, String unit) {
        this(label, total, unit, System.out, isTerminal(), 30, System::nanoTime);
    }

    /** As above, with every choice explicit (tests, other streams); {@code intervalSeconds}: non-terminal lines. */
    public ProgressBar(String label, long total, String unit, PrintStream out, boolean terminal, double intervalSeconds,
                       LongSupplier nanoClock) {
        if (total < 1) throw new Blt4jException("progress total must be >= 1, got " + total);
        if (!(intervalSeconds > 0)) throw new Blt4jException("progress interval must be > 0 seconds, got " + intervalSeconds);
        this.label = Objects.requireNonNull(label, "label");
        this.total = total;
        this.unit = unit;
        this.out = Objects.requireNonNull(out, "out");
        this.terminal = terminal;
        this.intervalNs = (long) (intervalSeconds * 1e9);
        this.clock = Objects.requireNonNull(nanoClock, "nanoClock");
        this.startNs = this.lastNs = clock.getAsLong();
    }

    /** Whether System.out is an interactive terminal (JDK 22+ has a Console even when redirected: ask it). */
    public static boolean isTerminal() {
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    /**
     * Progress: {@code step} of the total done, {@code work} units done in all (bytes; -1 when not counted) and the
     * caller's fields as alternating keys and values, e.g. {@code update(120, bytes, "loss", 2.31, "bpb", 3.33)}
     * (doubles print with 3 significant digits, anything else as it is).
     */
    /** Changes the expected total (a time-budgeted job learns its length as it goes); returns this bar. */
    public synchronized ProgressBar retarget(long newTotal) {
        this.total = Math.max(1, newTotal);
        return this;
    }

    public synchronized void update(long step, long work, Object... fields) {
        if (fields.length % 2 != 0) throw new Blt4jException("progress fields must come as key, value pairs");
        long now = clock.getAsLong();
        double dt = (now - lastNs) / 1e9;
        if (!started) { // the first update is the baseline (a resumed job starts half-way)
            started = true;
            baseNs = now;
            baseStep = step;
            baseWork = Math.max(0, work);
            lastNs = now;
            lastStep = step;
            lastWork = baseWork;
        } else if (dt > 0 && step >= lastStep) {
            // exponential smoothing, but never less weight than the time share of this interval: over the first
            // SMOOTH_S seconds that is the plain average since the first update, not the (slow, warming-up) first step
            double a = Math.max(1 - Math.exp(-dt / SMOOTH_S), dt / ((now - baseNs) / 1e9));
            stepRate = smooth(stepRate, (step - lastStep) / dt, a);
            if (work >= 0) workRate = smooth(workRate, (work - lastWork) / dt, a);
            lastNs = now;
            lastStep = step;
            if (work >= 0) lastWork = work;
        }
        line = render(step, fields, now);
        linePrinted = false;
        int tenth = (int) Math.min(10, step * 10 / total);
        if (terminal) {
            if (!printed || now - lastPrintNs >= REDRAW_NS || step >= total) draw();
            else return;
        } else if (!printed || now - lastPrintNs >= intervalNs || tenth > lastTenth) {
            out.println(line);
            out.flush();
            linePrinted = true;
        } else {
            return;
        }
        printed = true;
        lastPrintNs = now;
        lastTenth = Math.max(lastTenth, tenth);
    }

    /** Prints a message on its own line without breaking the bar (on a terminal the bar is redrawn below it). */
    public synchronized void println(String message) {
        if (terminal && drawnLength > 0) {
            out.print("\r" + " ".repeat(drawnLength) + "\r");
            out.println(message);
            drawnLength = 0;
            if (!finished) draw();
        } else {
            out.println(message);
        }
        out.flush();
    }

    /** Prints the last state as a final line, unless it was just printed (once; later calls do nothing). */
    public synchronized void finish() {
        if (finished) return;
        finished = true;
        if (terminal) {
            draw();
            out.println();
            drawnLength = 0;
        } else if (!linePrinted && !line.isEmpty()) {
            out.println(line);
        }
        out.flush();
    }

    /** The line as it was last rendered. */
    public synchronized String line() {
        return line;
    }

    private void draw() {
        String pad = line.length() < drawnLength ? " ".repeat(drawnLength - line.length()) : "";
        out.print("\r" + line + pad);
        out.flush();
        drawnLength = line.length();
    }

    private static double smooth(double old, double sample, double a) {
        return Double.isNaN(old) ? sample : old + a * (sample - old);
    }

    private String render(long step, Object[] fields, long now) {
        double frac = Math.clamp((double) step / total, 0, 1);
        StringBuilder b = new StringBuilder(label).append(' ').append(step).append('/').append(total).append(" [");
        int full = (int) Math.floor(frac * BAR);
        for (int i = 0; i < BAR; i++) b.append(i < full ? '=' : i == full ? '>' : ' ');
        b.append("] ").append((int) Math.floor(frac * 100)).append('%');
        for (int i = 0; i < fields.length; i += 2) b.append(' ').append(fields[i]).append(' ').append(format(fields[i + 1]));
        if (!Double.isNaN(stepRate)) {
            boolean done = step >= total;
            double elapsed = (now - startNs) / 1e9, measured = (now - baseNs) / 1e9;
            // while running the smoothed recent rate; when done the average since the first update
            double sr = done ? (step - baseStep) / measured : stepRate;
            double wr = done ? (lastWork - baseWork) / measured : workRate;
            b.append(" | ").append(unit != null && !Double.isNaN(workRate) ? si(wr) + unit + "/s"
                    : String.format(Locale.ROOT, "%.3g", sr) + " " + label + "/s");
            if (done) b.append(" | took ").append(duration(elapsed));
            else b.append(" | ETA ").append(stepRate > 0 ? duration((total - step) / stepRate) : "?");
        }
        return b.toString();
    }

    static String format(Object v) {
        if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (!Double.isFinite(d)) return Double.toString(d);
            if (d == 0) return "0";
            if (Math.abs(d) >= 1e5 || Math.abs(d) < 1e-3) return String.format(Locale.ROOT, "%.2e", d);
            if (Math.abs(d) >= 1000) return String.format(Locale.ROOT, "%.0f", d);
            return new BigDecimal(d).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        }
        return String.valueOf(v);
    }

    /** 12.3 k, 4.56 M: three significant digits with an SI prefix, then the unit. */
    public static String si(double v) {
        String[] prefixes = {"", "k", "M", "G", "T"};
        int p = 0;
        while (Math.abs(v) >= 999.5 && p < prefixes.length - 1) {
            v /= 1000;
            p++;
        }
        String num = Math.abs(v) >= 99.95 ? String.format(Locale.ROOT, "%.0f", v)
                : Math.abs(v) >= 9.995 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        return num + " " + prefixes[p];
    }

    /** 45s, 3m12s, 2h05m, 3d04h. */
    public static String duration(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) return "?";
        long s = Math.round(seconds);
        if (s < 60) return s + "s";
        if (s < 3600) return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        if (s < 86400) return String.format(Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        return String.format(Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}
