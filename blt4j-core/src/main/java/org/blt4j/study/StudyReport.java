package org.blt4j.study;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.run.ProgressBar;
import org.blt4j.run.RunFiles;
import org.blt4j.run.SvgPlot;

/**
 * A study's report folder: report.md (what ran, on what, how long; every arm's size and cost; bits per byte at each
 * budget; the patch-size trade-off; robustness; a reading of the paper's three claims), SVG plots, plan.json and
 * every run's metrics.
 */
final class StudyReport {
    private final StudyConfig cfg;
    private final Path out;
    private final List<ArmPlan> plans;
    private final StudyData data;
    private final Study.EntropyInfo entropy;
    private final List<StudyNoise.Row> noise;
    private final StudyClock clock;
    private final String command;
    private final Map<String, List<ArmRunner.Point>> points = new LinkedHashMap<>();
    private String notes = "";

    StudyReport(StudyConfig cfg, Path out, List<ArmPlan> plans, StudyData data, Study.EntropyInfo entropy,
                List<StudyNoise.Row> noise, StudyClock clock, String command) {
        this.cfg = cfg;
        this.out = out;
        this.plans = plans;
        this.data = data;
        this.entropy = entropy;
        this.noise = noise;
        this.clock = clock;
        this.command = command;
        for (ArmPlan p : plans) points.put(p.key(), ArmRunner.points(ArmRunner.armDir(out, p), cfg.budgets().size()));
    }

    StudyReport notes(String markdown) {
        this.notes = markdown;
        return this;
    }

    Path write() {
        Path dir = cfg.reportDir();
        try {
            Files.createDirectories(dir);
            for (StudyConfig.Size s : cfg.sizes()) bpbPlot(s.name()).write(dir.resolve("bpb-vs-training-flops-" + s.name() + ".svg"));
            inferencePlot().write(dir.resolve("bpb-vs-inference-flops.svg"));
            Files.copy(out.resolve("plan.json"), dir.resolve("plan.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            copyMetrics(dir.resolve("metrics"));
            RunFiles.writeAtomically(dir.resolve("report.md"), markdown().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Blt4jException("study: cannot write the report in " + dir + ": " + e.getMessage());
        }
        return dir;
    }

    // ---- markdown ----

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append("# Study ").append(cfg.name()).append(": BLT against a BPE-token transformer at matched FLOPs\n\n");
        md.append("Written by `blt4j study` on ").append(ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(".\n\n");
        md.append("- command: `").append(command).append("`\n");
        md.append("- machine: ").append(Machine.describe()).append('\n');
        md.append(String.format(Locale.ROOT, "- study time (all invocations): %s; %s%n", ProgressBar.duration(clock.total()), phases()));
        md.append(String.format(Locale.ROOT, "- data: `%s`, %,d training bytes (read by every arm in one seeded document order),"
                + " %,d held-out bytes (the last %.0f%%); each budget is scored on the first %,d held-out bytes%n",
                cfg.data().path(), data.split().trainBytes(), data.split().heldOutBytes(), 100 * cfg.data().heldoutFraction(), cfg.evalBytes()));
        md.append(String.format(Locale.ROOT, "- bpe arm: a byte-level BPE of %,d tokens trained on the training split, %.3f bytes per token%n",
                data.tokenizer().vocabSize(), data.bytesPerToken()));
        md.append(String.format(Locale.ROOT, "- entropy model (patches the BLT arms; its cost is not counted in theirs): %,d parameters,"
                + " %.4f held-out bpb, %s forward FLOPs per byte%n", entropy.params(), entropy.heldOutBpb(), si(entropy.forwardPerByte())));
        md.append(String.format(Locale.ROOT, "- schedule: warmup-stable-decay; a budget of fraction f of the whole is a branch that"
                + " leaves the stable run and decays the LR linearly over its last %.0f%% of steps; budgets %s%n%n",
                100 * cfg.decayFraction(), cfg.budgets()));

        md.append("## Arms\n\nForward FLOPs per byte as in docs/flops.md (training = 3 × forward); every arm of a size is sized to"
                + " the reference arm (`" + cfg.reference() + "`) within 10%.\n\n").append(planTable(plans)).append('\n');

        md.append("## Bits per byte against training FLOPs\n\n");
        for (StudyConfig.Size s : cfg.sizes()) {
            md.append("### ").append(s.name()).append(String.format(Locale.ROOT, " (budget %s training FLOPs per arm)%n%n", si(s.budgetFlops())));
            md.append("| arm |");
            for (double b : cfg.budgets()) md.append(String.format(Locale.ROOT, " bpb at %.2f |", b));
            md.append(" bytes trained | training FLOPs | seconds |\n|---|");
            md.append("---|".repeat(cfg.budgets().size() + 3)).append('\n');
            for (ArmPlan p : plans) {
                if (!p.size().equals(s.name())) continue;
                List<ArmRunner.Point> pts = points.get(p.key());
                md.append("| ").append(p.arm()).append(" |");
                for (int k = 0; k < cfg.budgets().size(); k++)
                    md.append(k < pts.size() ? String.format(Locale.ROOT, " %.4f |", pts.get(k).heldOutBpb()) : " – |");
                ArmRunner.Point last = pts.isEmpty() ? null : pts.get(pts.size() - 1);
                md.append(last == null ? " – | – | – |" : String.format(Locale.ROOT, " %,d | %s | %.0f |", last.bytes(),
                        si(last.trainingFlops()), armSeconds(pts)));
                md.append('\n');
            }
            md.append("\n![bpb against training FLOPs](bpb-vs-training-flops-").append(s.name()).append(".svg)\n\n");
        }

        md.append("## Patch size and inference FLOPs\n\nHeld-out bits per byte at the whole budget against forward FLOPs per byte"
                + " (the entropy model's ").append(si(entropy.forwardPerByte())).append(" apart), one line per arm through the sizes.\n\n");
        md.append("| size | arm | bytes per patch | forward FLOPs per byte | bpb |\n|---|---|---|---|---|\n");
        for (ArmPlan p : plans) {
            ArmRunner.Point last = last(p);
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s |%n", p.size(), p.arm(),
                    p.type().isBlt() ? String.format(Locale.ROOT, "%.2f", p.patchSize()) : p.type() == Arm.Type.BPE
                            ? String.format(Locale.ROOT, "(%.2f per token)", p.patchSize()) : "1",
                    si(p.forwardPerByte()), last == null ? "–" : String.format(Locale.ROOT, "%.4f", last.heldOutBpb())));
        }
        md.append("\n![bpb against inference FLOPs](bpb-vs-inference-flops.svg)\n\n");

        md.append(StudyClaims.robustnessSection(cfg, noise));
        md.append(new StudyClaims(cfg, plans, points, noise).section());
        if (!notes.isBlank()) md.append("## Reading\n\n").append(notes.strip()).append("\n\n");
        md.append("## Files\n\n`plan.json` (every arm's args, patch size, cost and steps), `metrics/SIZE/ARM/*.jsonl` (every run's"
                + " training log: the stable run `main` and each earlier budget's decay branch), the SVG plots.\n");
        return md.toString();
    }

    private String phases() {
        List<String> parts = new ArrayList<>();
        double train = 0;
        for (var e : clock.seconds().entrySet()) {
            if (e.getKey().startsWith("train ")) train += e.getValue();
            else parts.add(e.getKey().replace('_', ' ') + " " + ProgressBar.duration(e.getValue()));
        }
        parts.add(Math.min(3, parts.size()), "training the arms " + ProgressBar.duration(train));
        return String.join(", ", parts);
    }

    /** An arm's own training seconds: its stable run plus each earlier budget's decay. */
    static double armSeconds(List<ArmRunner.Point> pts) {
        double s = pts.get(pts.size() - 1).seconds();
        for (int k = 0; k < pts.size() - 1; k++) s += pts.get(k).seconds() - pts.get(k).sharedSeconds();
        return s;
    }

    private ArmRunner.Point last(ArmPlan p) {
        List<ArmRunner.Point> pts = points.get(p.key());
        return pts.size() == cfg.budgets().size() ? pts.get(pts.size() - 1) : null;
    }

    static String planTable(List<ArmPlan> plans) {
        StringBuilder t = new StringBuilder("| size | arm | shape | params (+ hash) | bytes/patch | forward FLOPs/byte | vs reference | steps × rows | bytes/row |\n"
                + "|---|---|---|---|---|---|---|---|---|\n");
        for (ArmPlan p : plans) {
            var a = p.args();
            String shape = p.type().isBlt()
                    ? String.format(Locale.ROOT, "global %d×%d, local %d (enc %d, dec %d)", a.path("dim_global").asInt(),
                    a.path("n_layers_global").asInt(), a.path("dim_local_encoder").asInt(), a.path("n_layers_local_encoder").asInt(),
                    a.path("n_layers_local_decoder").asInt())
                    : String.format(Locale.ROOT, "%d×%d, ctx %d, vocab %d", a.path("dim").asInt(), a.path("n_layers").asInt(),
                    p.seqLen(), a.path("vocab_size").asInt());
            t.append(String.format(Locale.ROOT, "| %s | %s | %s | %s%s | %s | %s | %+.1f%% | %,d × %d | %.0f |%n", p.size(), p.arm(), shape,
                    si(p.params()), p.hashParams() > 0 ? " + " + si(p.hashParams()) : "",
                    p.type().isBlt() ? String.format(Locale.ROOT, "%.2f", p.patchSize()) : "–", si(p.forwardPerByte()),
                    100 * (p.ratio() - 1), p.steps(), p.batchSize(), p.bytesPerRow()));
        }
        return t.toString();
    }

    /** 12.3k, 4.56M: ProgressBar's three significant digits and SI prefix, without the space. */
    static String si(double v) {
        return ProgressBar.si(v).replace(" ", "");
    }

    // ---- plots ----

    private SvgPlot bpbPlot(String size) {
        double max = 1;
        for (ArmPlan p : plans) if (p.size().equals(size)) for (ArmRunner.Point pt : points.get(p.key())) max = Math.max(max, pt.trainingFlops());
        int exp = (int) Math.floor(Math.log10(max));
        SvgPlot plot = new SvgPlot("size " + size + ": held-out bits per byte against training FLOPs")
                .xLabel("training FLOPs (×10^" + exp + ")").yLabel("bits per byte");
        for (ArmPlan p : plans) {
            if (!p.size().equals(size)) continue;
            List<ArmRunner.Point> pts = points.get(p.key());
            double[] x = new double[pts.size()], y = new double[pts.size()];
            for (int i = 0; i < x.length; i++) {
                x[i] = pts.get(i).trainingFlops() / Math.pow(10, exp);
                y[i] = pts.get(i).heldOutBpb();
            }
            plot.series(p.arm(), x, y);
        }
        return plot;
    }

    private SvgPlot inferencePlot() {
        SvgPlot plot = new SvgPlot("held-out bits per byte against inference FLOPs per byte (whole budget)")
                .xLabel("forward FLOPs per byte (×10^6)").yLabel("bits per byte");
        for (Arm arm : cfg.armList()) {
            List<double[]> xy = new ArrayList<>();
            for (ArmPlan p : plans) {
                ArmRunner.Point last = last(p);
                if (p.arm().equals(arm.name()) && last != null) xy.add(new double[] {p.forwardPerByte() / 1e6, last.heldOutBpb()});
            }
            xy.sort((a, b) -> Double.compare(a[0], b[0]));
            plot.series(arm.name(), xy.stream().mapToDouble(v -> v[0]).toArray(), xy.stream().mapToDouble(v -> v[1]).toArray());
        }
        return plot;
    }

    private void copyMetrics(Path to) throws IOException {
        for (ArmPlan p : plans) {
            Path arm = ArmRunner.armDir(out, p);
            if (!Files.isDirectory(arm)) continue;
            try (var runs = Files.list(arm)) {
                for (Path run : runs.toList()) {
                    Path m = run.resolve("metrics.jsonl");
                    if (!Files.isRegularFile(m)) continue;
                    Path dst = to.resolve(p.size()).resolve(p.arm()).resolve(run.getFileName() + ".jsonl");
                    Files.createDirectories(dst.getParent());
                    Files.copy(m, dst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }
}
