package org.blt4j.train;

import org.blt4j.io.ModelDirs;
import org.blt4j.run.MetricsLog;
import org.blt4j.run.ProgressBar;
import org.blt4j.run.RunFiles;
import org.blt4j.run.SvgPlot;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.run.TrainState;
import org.blt4j.eval.BitsPerByte;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;

/**
 * The training loop shared by both models: batch → loss and gradient → AdamW with the LR schedule; logs metrics,
 * evaluates held-out bits per byte, checkpoints (weights, optimizer moments, data position) and resumes exactly.
 */
public final class Trainer {
    /** What a run ended with. */
    public record Result(long steps, double heldOutBpb, double avgPatchLength, double bytesPerSecond, List<Double> losses, Path lastCheckpoint) {}

    private final TrainTask task;
    private final TrainConfig cfg;
    private final Path runDir;
    private final PrintStream out;
    private double referenceBpb = Double.NaN;
    private String referenceLabel;
    private long finalEvalBytes = Long.MAX_VALUE;
    private boolean evalAtPause = true;
    private String label;
    private java.util.function.LongFunction<Object[]> extraFields = step -> new Object[0];

    public Trainer(TrainTask task, TrainConfig cfg, Path runDir, PrintStream out) {
        this.task = task;
        this.cfg = cfg;
        this.runDir = runDir;
        this.out = out;
    }

    /** Draws a horizontal reference line (e.g. gzip -9 on the held-out bytes) in the run's bpb plot. */
    public Trainer reference(double bpb, String label) {
        this.referenceBpb = bpb;
        this.referenceLabel = label;
        return this;
    }

    /** Held-out bytes evaluated when the run ends (default: all of them). */
    public Trainer finalEvalBytes(long maxBytes) {
        if (maxBytes < 1) throw new IllegalArgumentException("final eval bytes must be >= 1, got " + maxBytes);
        this.finalEvalBytes = maxBytes;
        return this;
    }

    /** Whether a run stopped by {@code stopAfter} (a pause, to be resumed) evaluates and plots as a finished run does (default true). */
    public Trainer evalAtPause(boolean eval) {
        this.evalAtPause = eval;
        return this;
    }

    /** The progress bar's label (default: the task's kind) and extra key/value fields computed from the step. */
    public Trainer progress(String label, java.util.function.LongFunction<Object[]> extraFields) {
        this.label = label;
        this.extraFields = extraFields;
        return this;
    }

    /** Writes RUN/bpb.svg from RUN/metrics.jsonl (train and held-out bits per byte against the step). */
    public static Path plot(Path runDir, String title, double referenceBpb, String referenceLabel) {
        SvgPlot plot = MetricsLog.bpbPlot(MetricsLog.read(runDir), title);
        if (!Double.isNaN(referenceBpb)) plot.reference(referenceBpb, referenceLabel);
        Path file = runDir.resolve("bpb.svg");
        plot.write(file);
        return file;
    }

    /** Trains from scratch, or from the checkpoint in resumeFrom (a run or step folder) when it is non-null. */
    public Result run(Path resumeFrom) {
        return run(resumeFrom, Long.MAX_VALUE);
    }

    /** Like {@link #run(Path)}, but stops (with a checkpoint) after stopAfter steps of this run. */
    public Result run(Path resumeFrom, long stopAfter) {
        try (RunFiles.Lock lock = RunFiles.claim(runDir, resumeFrom != null)) {
            return runLocked(resumeFrom, stopAfter);
        }
    }

    private Result runLocked(Path resumeFrom, long stopAfter) {
        TrainConfig.Optim o = cfg.optim();
        TrainConfig.Train t = cfg.train();
        float[] params = task.params().data();
        AdamW opt = new AdamW(new AdamW.Config(o.betas().get(0), o.betas().get(1), o.eps(), o.weightDecay(), o.clip()), params.length);
        TrainCheckpoint ckpt = new TrainCheckpoint(runDir, t.keep());

        long step = 0, bytesSeen = 0, tokensSeen = 0;
        long totalSteps = t.steps() != null ? t.steps() : -1;
        double elapsedBefore = 0;
        MetricsLog metrics;
        Path resumed = null;
        if (resumeFrom != null) {
            Path dir = ModelDirs.resolve(resumeFrom);
            float[] m = new float[params.length], v = new float[params.length];
            TrainState s = TrainCheckpoint.load(dir, task.params(), m, v);
            if (!s.extra().path("kind").asText().equals(task.kind()))
                throw new Blt4jException("--resume " + dir + " is a '" + s.extra().path("kind").asText() + "' run, not '" + task.kind() + "'");
            String was = s.extra().path("inputs").asText(""), now = task.inputs();
            if (!was.isEmpty() && !now.isEmpty() && !was.equals(now))
                throw new Blt4jException("--resume " + dir + ": the training data differ from what this run was trained on (inputs "
                        + was + ", now " + now + "): the file at data.path" + (task.kind().equals("blt") ? ", or the entropy model"
                        + " at data.entropy_model," : "") + " changed; a resume needs the same inputs (give another --out to start afresh)");
            step = s.step();
            bytesSeen = s.bytesSeen();
            tokensSeen = s.tokensSeen();
            // a config that sets train.steps decides the length (it may have changed on resume: the schedule follows);
            // a time-budgeted run goes on with the length it had estimated
            if (t.steps() == null) totalSteps = s.extra().path("total_steps").asLong(totalSteps);
            elapsedBefore = s.extra().path("elapsed_s").asDouble(0);
            opt.restore(s.lrStep(), m, v);
            task.seek(s.dataPosition());
            metrics = MetricsLog.resume(runDir, step);
            resumed = dir;
            out.printf("resumed %s at step %d%n", dir, step);
        } else {
            metrics = MetricsLog.fresh(runDir);
        }
        task.install(runDir);

        long startNanos = System.nanoTime();
        double budgetS = t.minutes() != null ? t.minutes() * 60 : Double.POSITIVE_INFINITY;
        ProgressBar bar = new ProgressBar(label != null ? label : task.kind(), Math.max(totalSteps, 1), "B");
        float[] grad = new float[params.length];
        List<Double> losses = new java.util.ArrayList<>();
        BitsPerByte.Eval lastEval = null;
        Path last = null;
        long stepsThisRun = 0, bytesThisRun = 0, markSteps = 0;
        double markSecs = 0;
        try (metrics) {
            while (totalSteps < 0 || step < totalSteps) {
                double elapsed = (System.nanoTime() - startNanos) / 1e9;
                if (elapsed >= budgetS || stepsThisRun >= stopAfter) break;
                Arrays.fill(grad, 0f);
                TrainTask.Step s = task.step(grad);
                if (t.steps() == null && isEstimatePoint(stepsThisRun + 1)) {
                    // only a time budget: the schedule's length = steps done + the time left at the recent step rate
                    // (re-estimated at growing intervals, as the JIT warms up and the rate settles)
                    double now = (System.nanoTime() - startNanos) / 1e9;
                    double perStep = (now - markSecs) / Math.max(1, stepsThisRun + 1 - markSteps);
                    totalSteps = Math.max(step + 1, step + 1 + (long) ((budgetS - now) / perStep));
                    markSecs = now;
                    markSteps = stepsThisRun + 1;
                    bar = bar.retarget(totalSteps);
                }
                long schedSteps = totalSteps > 0 ? totalSteps : 1_000_000_000L;
                LrSchedule sched = LrSchedule.of(o.schedule(), o.lr(), Math.min(o.warmup(), schedSteps - 1), schedSteps)
                        .withMinRatio(o.lrMinRatio()).withDecayFraction(o.decayFraction());
                double lr = sched.lr(step);
                double norm = opt.step(params, grad, lr);
                step++;
                stepsThisRun++;
                bytesSeen += s.bytes();
                bytesThisRun += s.bytes();
                tokensSeen += s.targets();
                losses.add(s.loss());
                if (!Double.isFinite(s.loss())) throw new Blt4jException("training diverged at step " + step + " (loss " + s.loss() + "): lower optim.lr");

                double trainBpb = s.loss() * s.targets() / Math.log(2) / Math.max(1, s.bytes());
                double secs = (System.nanoTime() - startNanos) / 1e9;
                double bps = bytesThisRun / Math.max(1e-9, secs);
                boolean ended = totalSteps >= 0 && step >= totalSteps || secs >= budgetS;
                boolean lastStep = ended || stepsThisRun >= stopAfter;
                boolean evalNow = ended || lastStep && evalAtPause;
                MetricsLog.Entry e = MetricsLog.Entry.at(step).with(MetricsLog.TRAIN_LOSS, s.loss()).with(MetricsLog.TRAIN_BPB, trainBpb)
                        .with(MetricsLog.LR, lr).with(MetricsLog.GRAD_NORM, norm).with(MetricsLog.BYTES_PER_S, bps)
                        .with(MetricsLog.ELAPSED_S, elapsedBefore + secs);
                if (!Double.isNaN(s.avgPatchLength())) e = e.with(MetricsLog.AVG_PATCH_LEN, s.avgPatchLength());
                boolean evaluated = step % t.evalEvery() == 0 || evalNow;
                if (evaluated) {
                    boolean all = evalNow && finalEvalBytes == Long.MAX_VALUE;
                    lastEval = task.evalHeldOut(evalNow ? finalEvalBytes : t.evalBytes());   // the end: all held-out bytes
                    e = e.with(all ? MetricsLog.HELDOUT_BPB_ALL : MetricsLog.HELDOUT_BPB, lastEval.bpb());
                    bar.println(String.format("step %d: held-out %.4f bpb%s%s", step, lastEval.bpb(), all ? " (all held-out bytes)" : "",
                            Double.isNaN(lastEval.avgPatchLength()) ? "" : String.format(", %.2f bytes/patch", lastEval.avgPatchLength())));
                }
                if (step % t.logEvery() == 0 || lastStep || e.get(MetricsLog.HELDOUT_BPB) != null) metrics.append(e);
                Object[] fields = Double.isNaN(s.avgPatchLength())
                        ? new Object[] {"loss", fmt(s.loss()), "bpb", fmt(trainBpb)}
                        : new Object[] {"loss", fmt(s.loss()), "bpb", fmt(trainBpb), "patch", String.format("%.2f", s.avgPatchLength())};
                Object[] extra = extraFields.apply(step);
                if (extra.length > 0) {
                    Object[] all = java.util.Arrays.copyOf(fields, fields.length + extra.length);
                    System.arraycopy(extra, 0, all, fields.length, extra.length);
                    fields = all;
                }
                bar.update(step, bytesSeen, fields);
                if (step % t.checkpointEvery() == 0 || lastStep) {
                    Training.requireNotDiverged(params, evaluated ? "the held-out bits per byte" : null,
                            evaluated ? lastEval.bpb() : Double.NaN, step, "optim.lr");
                    last = save(ckpt, step, tokensSeen, bytesSeen, opt, totalSteps, elapsedBefore + secs);
                    metrics.checkpointed();
                }
            }
            if (stepsThisRun == 0 && resumed != null) last = resumed;   // nothing trained: nothing saved, nothing pruned
            else if (last == null || !last.getFileName().toString().equals(TrainCheckpoint.stepName(step))) {
                Training.requireNotDiverged(params, null, Double.NaN, step, "optim.lr");
                last = save(ckpt, step, tokensSeen, bytesSeen, opt, totalSteps, elapsedBefore + (System.nanoTime() - startNanos) / 1e9);
                metrics.checkpointed();
            }
        }
        bar.finish();
        double secs = (System.nanoTime() - startNanos) / 1e9;
        boolean paused = totalSteps >= 0 && step < totalSteps && stepsThisRun >= stopAfter;
        if (paused && !evalAtPause) return new Result(step, Double.NaN, Double.NaN, bytesThisRun / Math.max(1e-9, secs), losses, last);
        plot(runDir, switch (task.kind()) {
            case "blt" -> "BLT: bits per byte";
            case "token" -> "token LM: bits per byte";
            default -> "entropy model: bits per byte";
        }, referenceBpb, referenceLabel);
        if (lastEval == null) lastEval = task.evalHeldOut(finalEvalBytes);
        return new Result(step, lastEval.bpb(), lastEval.avgPatchLength(), bytesThisRun / Math.max(1e-9, secs), losses, last);
    }

    /** Steps after which a time-budgeted run re-estimates its length: 3, 10, 30, 100, 300, ... */
    static boolean isEstimatePoint(long n) {
        for (long p = 3, q = 10; p <= n; p *= 10, q *= 10) if (n == p || n == q) return true;
        return false;
    }

    private Path save(TrainCheckpoint ckpt, long step, long tokens, long bytes, AdamW opt, long totalSteps, double elapsed) {
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.put("kind", task.kind());
        extra.put("total_steps", totalSteps);
        extra.put("elapsed_s", elapsed);
        if (!task.inputs().isEmpty()) extra.put("inputs", task.inputs());
        TrainState state = new TrainState(step, tokens, bytes, task.position(), opt.stepCount(), List.of(), cfg.toTree(), extra);
        return ckpt.save(state, task.args(), task.params(), opt.m(), opt.v());
    }

    private static String fmt(double v) {
        return String.format("%.4f", v);
    }
}
