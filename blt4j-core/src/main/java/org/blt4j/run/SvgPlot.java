package org.blt4j.run;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.blt4j.Blt4jException;

/**
 * A line chart as a standalone SVG file, without dependencies: named series of (x, y) points, axes with "nice" ticks
 * and grid lines, a title, axis labels, a legend and optional horizontal reference lines with a label (e.g.
 * "gzip -9 2.65 bpb"). Non-finite points are skipped and break their line; sparse series get point markers.
 * <pre>
 * new SvgPlot("bits per byte").xLabel("step").yLabel("bpb")
 *     .series("train", steps, train).series("held-out", evalSteps, heldout)
 *     .reference(2.65, "gzip -9 2.65 bpb").write(run.resolve("bpb.svg"));
 * </pre>
 */
public final class SvgPlot {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};
    private static final int MARKERS_UP_TO = 40;
    private static final int LEFT = 72, RIGHT = 24, TOP = 48, BOTTOM = 56;

    private record Series(String name, double[] x, double[] y) {}

    private record Reference(double y, String label) {}

    private final String title;
    private String xLabel = "", yLabel = "";
    private int width = 800, height = 480;
    private final List<Series> series = new ArrayList<>();
    private final List<Reference> references = new ArrayList<>();

    public SvgPlot(String title) {
        this.title = Objects.requireNonNull(title, "title");
    }

    public SvgPlot xLabel(String label) {
        xLabel = Objects.requireNonNull(label, "label");
        return this;
    }

    public SvgPlot yLabel(String label) {
        yLabel = Objects.requireNonNull(label, "label");
        return this;
    }

    /** Size in pixels (default 800 x 480). */
    public SvgPlot size(int width, int height) {
        if (width < 200 || height < 150) throw new Blt4jException("plot size must be at least 200 x 150, got " + width + " x " + height);
        this.width = width;
        this.height = height;
        return this;
    }

    /** Adds a line through the points (x[i], y[i]) in the given order. */
    public SvgPlot series(String name, double[] x, double[] y) {
        Objects.requireNonNull(name, "name");
        if (x.length != y.length)
            throw new Blt4jException("series '" + name + "' has " + x.length + " x values and " + y.length + " y values");
        series.add(new Series(name, x.clone(), y.clone()));
        return this;
    }

    /** Adds a dashed horizontal line at {@code y} with a label at its right end. */
    public SvgPlot reference(double y, String label) {
        if (!Double.isFinite(y)) throw new Blt4jException("reference line at " + y + " is not a finite value");
        references.add(new Reference(y, Objects.requireNonNull(label, "label")));
        return this;
    }

    /** Writes the SVG file atomically (temporary sibling, then rename). */
    public void write(Path file) {
        RunFiles.writeAtomically(file, toSvg().getBytes(StandardCharsets.UTF_8));
    }

    public String toSvg() {
        double[] xr = range(true), yr = range(false);
        Axis xa = Axis.of(xr[0], xr[1]), ya = Axis.of(yr[0], yr[1]);
        int pw = width - LEFT - RIGHT, ph = height - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">%n", width, height, width, height));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
        text(s, width / 2.0, 28, "middle", 17, "bold", title);
        // grid, ticks and tick labels
        s.append("<g class=\"grid\" stroke=\"#e3e3e3\" stroke-width=\"1\">\n");
        for (double t : xa.ticks()) line(s, px(t, xa, pw), TOP, px(t, xa, pw), TOP + ph);
        for (double t : ya.ticks()) line(s, LEFT, py(t, ya, ph), LEFT + pw, py(t, ya, ph));
        s.append("</g>\n<g class=\"ticks\" font-size=\"12\" fill=\"#333\">\n");
        for (double t : xa.ticks()) text(s, px(t, xa, pw), TOP + ph + 18, "middle", 0, null, xa.label(t));
        for (double t : ya.ticks()) text(s, LEFT - 8, py(t, ya, ph) + 4, "end", 0, null, ya.label(t));
        s.append("</g>\n");
        s.append(String.format(Locale.ROOT, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
                + "stroke=\"#444\" stroke-width=\"1\"/>%n", LEFT, TOP, pw, ph));
        text(s, LEFT + pw / 2.0, height - 14, "middle", 13, null, xLabel);
        s.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"0\" font-size=\"13\" text-anchor=\"middle\" "
                + "transform=\"translate(18 %.1f) rotate(-90)\">%s</text>%n", TOP + ph / 2.0, escape(yLabel)));
        // reference lines
        for (Reference r : references) {
            double y = py(r.y(), ya, ph);
            s.append("<g class=\"reference\">");
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#666\" "
                    + "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>", LEFT, y, LEFT + pw, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"12\" "
                    + "fill=\"#333\" stroke=\"white\" stroke-width=\"4\" paint-order=\"stroke\">%s</text>",
                    LEFT + pw - 6.0, y - 6, escape(r.label())));
            s.append("</g>\n");
        }
        // series
        for (int i = 0; i < series.size(); i++) {
            Series se = series.get(i);
            String color = COLORS[i % COLORS.length];
            s.append("<g class=\"series\"><title>").append(escape(se.name())).append("</title>");
            s.append("<path fill=\"none\" stroke=\"").append(color)
                    .append("\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"");
            boolean pen = false;
            for (int k = 0; k < se.x().length; k++) {
                if (!finite(se, k)) {
                    pen = false;
                    continue;
                }
                s.append(pen ? " L" : " M").append(String.format(Locale.ROOT, "%.1f %.1f", px(se.x()[k], xa, pw), py(se.y()[k], ya, ph)));
                pen = true;
            }
            s.append("\"/>");
            if (se.x().length <= MARKERS_UP_TO)
                for (int k = 0; k < se.x().length; k++)
                    if (finite(se, k))
                        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>",
                                px(se.x()[k], xa, pw), py(se.y()[k], ya, ph), color));
            s.append("</g>\n");
        }
        legend(s, pw);
        return s.append("</svg>\n").toString();
    }

    private void legend(StringBuilder s, int pw) {
        if (series.isEmpty()) return;
        int longest = series.stream().mapToInt(se -> se.name().length()).max().orElse(0);
        double w = 44 + longest * 7.2, h = 10 + 20 * series.size(), x = LEFT + pw - w - 10, y = TOP + 10;
        s.append(String.format(Locale.ROOT, "<g class=\"legend\" font-size=\"13\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                + "height=\"%.1f\" fill=\"white\" fill-opacity=\"0.9\" stroke=\"#bbb\"/>%n", x, y, w, h));
        for (int i = 0; i < series.size(); i++) {
            double ly = y + 15 + 20 * i;
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                    + "stroke-width=\"3\"/>", x + 8, ly, x + 32, ly, COLORS[i % COLORS.length]));
            text(s, x + 38, ly + 4.5, "start", 0, null, series.get(i).name());
        }
        s.append("</g>\n");
    }

    /** [min, max] over the finite points (and, for y, the reference lines); a unit range when there is none. */
    private double[] range(boolean x) {
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (Series se : series)
            for (int k = 0; k < se.x().length; k++)
                if (finite(se, k)) {
                    double v = x ? se.x()[k] : se.y()[k];
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
        if (!x)
            for (Reference r : references) {
                lo = Math.min(lo, r.y());
                hi = Math.max(hi, r.y());
            }
        if (lo > hi) return new double[] {0, 1};
        return new double[] {lo, hi};
    }

    private static boolean finite(Series se, int k) {
        return Double.isFinite(se.x()[k]) && Double.isFinite(se.y()[k]);
    }

    private double px(double v, Axis a, int pw) {
        return LEFT + (v - a.lo()) / (a.hi() - a.lo()) * pw;
    }

    private double py(double v, Axis a, int ph) {
        return TOP + ph - (v - a.lo()) / (a.hi() - a.lo()) * ph;
    }

    private static void line(StringBuilder s, double x1, double y1, double x2, double y2) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>%n", x1, y1, x2, y2));
    }

    private static void text(StringBuilder s, double x, double y, String anchor, int size, String weight, String text) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"", x, y, anchor));
        if (size > 0) s.append(" font-size=\"").append(size).append('"');
        if (weight != null) s.append(" font-weight=\"").append(weight).append('"');
        s.append('>').append(escape(text)).append("</text>\n");
    }

    static String escape(String t) {
        StringBuilder b = new StringBuilder(t.length());
        for (char c : t.toCharArray()) {
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> {
                    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') b.append('?'); // not allowed in XML 1.0
                    else b.append(c);
                }
            }
        }
        return b.toString();
    }

    /** The largest magnitude an axis takes (bits per byte, steps). */
    static final double MAX_VALUE = 1e15;

    /** An axis from lo to hi (multiples of step) with a tick at every step: 1, 2 or 5 times a power of ten. */
    record Axis(double lo, double hi, double step) {
        static Axis of(double min, double max) {
            if (!(Math.abs(min) <= MAX_VALUE && Math.abs(max) <= MAX_VALUE))   // the ticks would be uncountable
                throw new Blt4jException("cannot plot values from " + min + " to " + max + ": a plot takes magnitudes up to "
                        + MAX_VALUE + " (is the metrics file damaged?)");
            if (max - min <= 1e-12 * Math.max(1, Math.abs(max))) {
                double pad = min == 0 ? 1 : Math.abs(min) * 0.1;
                min -= pad;
                max += pad;
            }
            double raw = (max - min) / 6, mag = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / mag;
            double step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
            return new Axis(Math.floor(min / step + 1e-9) * step, Math.ceil(max / step - 1e-9) * step, step);
        }

        List<Double> ticks() {
            List<Double> t = new ArrayList<>();
            long n = Math.round((hi - lo) / step);
            for (long i = 0; i <= n; i++) t.add(lo + i * step);
            return t;
        }

        /** The tick value with just the digits its step needs; 10k / 1.5M style from ten thousand up. */
        String label(double v) {
            double big = Math.max(Math.abs(lo), Math.abs(hi));
            String suffix = "";
            double scale = 1;
            if (big >= 1e7 && step >= 1e5) {
                suffix = "M";
                scale = 1e6;
            } else if (big >= 1e4 && step >= 100) {
                suffix = "k";
                scale = 1e3;
            }
            int decimals = Math.max(0, (int) -Math.floor(Math.log10(step / scale) + 1e-9));
            BigDecimal d = BigDecimal.valueOf(v / scale).setScale(decimals, RoundingMode.HALF_EVEN).stripTrailingZeros();
            String out = d.signum() == 0 ? "0" : d.toPlainString();
            return out + suffix;
        }
    }
}
