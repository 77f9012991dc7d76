package org.blt4j.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongFunction;
import java.util.stream.Stream;
import org.blt4j.Blt4jException;
import org.blt4j.io.ModelDirs;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.run.TrainState;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Trainer;
import org.blt4j.train.Training;

/**
 * Trains one arm of a study through its budgets with one warmup-stable-decay run and branched decays:
 * the stable run {@code main} goes to the whole budget (steps T, decaying over its last floor(T · decay_fraction)
 * steps); at c_k = T_k − floor(T_k · decay_fraction) it pauses, its checkpoint is copied to {@code budget-k}, and
 * budget-k resumes from it with T_k steps, so its LR decays over its own last steps (before c_k the two schedules
 * are the same: WSD is flat there). Each budget's end is scored on the same held-out bytes and written to
 * {@code budget-k.json}. Resumable at any point: finished budgets are skipped, an interrupted run resumes from its
 * latest checkpoint exactly (weights, AdamW moments, data position).
 */
final class ArmRunner {
    /** A budget's outcome, as budget-k.json holds it. */
    record Point(int budget, double fraction, long steps, long bytes, double trainingFlops, double heldOutBpb,
                 Double avgPatchLength, long evalBytes, double seconds, double sharedSeconds) {}

    /** Where the study's progress stands: the caller's ETA line for the current run, from its step. */
    interface Progress {
        LongFunction<Object[]> fields(ArmPlan plan, long runStartStep);
    }

    /** In a branch's folder: the main run's elapsed seconds at the branch point (training shared with it). */
    static final String BRANCH_START = "branch-start.json";

    private final StudyConfig cfg;
    private final StudyData data;
    private final float[] trainH, heldH;
    private final Path emDir;
    private final PrintStream out;

    ArmRunner(StudyConfig cfg, StudyData data, float[] trainH, float[] heldH, Path emDir, PrintStream out) {
        this.cfg = cfg;
        this.data = data;
        this.trainH = trainH;
        this.heldH = heldH;
        this.emDir = emDir;
        this.out = out;
    }

    static Path armDir(Path studyOut, ArmPlan p) {
        return studyOut.resolve(p.size()).resolve(p.arm());
    }

    static Path pointFile(Path armDir, int k) {
        return armDir.resolve("budget-" + k + ".json");
    }

    /** The finished budgets of an arm, in order (stops at the first missing one). */
    static List<Point> points(Path armDir, int budgets) {
        List<Point> pts = new java.util.ArrayList<>();
        for (int k = 0; k < budgets; k++) {
            Path f = pointFile(armDir, k);
            if (!Files.isRegularFile(f)) break;
            pts.add(StudyFiles.read(f, Point.class));
        }
        return pts;
    }

    /** Steps of this arm's work already done, for the study's ETA. */
    static long stepsDone(Path armDir, ArmPlan p) {
        int K = p.branchSteps().size();
        List<Point> done = points(armDir, K);
        long mainStep = latestStep(armDir.resolve("main"));
        long w = mainStep;
        for (int k = 0; k < K - 1; k++) {
            long decay = p.branchSteps().get(k) - p.branchPoints().get(k);
            if (k < done.size()) w += decay;
            else w += Math.max(0, latestStep(armDir.resolve("budget-" + k)) - p.branchPoints().get(k));
        }
        return w;
    }

    private static long latestStep(Path run) {
        List<Path> steps = ModelDirs.steps(run);
        return steps.isEmpty() ? 0 : ModelDirs.stepOf(steps.get(steps.size() - 1));
    }

    /** Trains the arm's missing budgets. */
    void run(ArmPlan p, Path studyOut, Progress progress) {
        Path dir = armDir(studyOut, p);
        int K = p.branchSteps().size();
        if (points(dir, K).size() == K) return;
        Path main = dir.resolve("main");
        TrainConfig mainCfg = config(p, p.steps(), main);
        TrainTask task = task(p, mainCfg);
        for (int k = 0; k < K; k++) {
            if (Files.isRegularFile(pointFile(dir, k))) continue;
            long mainStep = latestStep(main);
            long c = p.branchPoints().get(k);
            boolean last = k == K - 1;
            if (!last) {
                Path branch = dir.resolve("budget-" + k);
                if (!Files.isRegularFile(branch.resolve(ModelDirs.LATEST))) {
                    if (mainStep < c) {
                        trainer(task, mainCfg, main, p, k, progress).run(mainStep > 0 ? main : null, c - mainStep);
                    } else if (mainStep > c) {
                        throw new Blt4jException("study: " + main + " is at step " + mainStep + ", past budget " + k
                                + "'s branch point " + c + ", whose copy is missing; delete " + dir + " to redo this arm");
                    }
                    copyBranchStart(main.resolve(TrainCheckpoint.stepName(c)), branch);
                }
                finish(p, task, k, branch, config(p, p.branchSteps().get(k), branch), progress, dir);
                deleteSteps(branch);
            } else {
                finish(p, task, k, main, mainCfg, progress, dir);
            }
        }
    }

    /** Runs a budget's run to its end, scores it, writes budget-k.json. */
    private void finish(ArmPlan p, TrainTask task, int k, Path run, TrainConfig c, Progress progress, Path dir) {
        long at = latestStep(run);
        Trainer.Result r = trainer(task, c, run, p, k, progress).run(at > 0 ? run : null);
        TrainState end = TrainCheckpoint.readState(run);
        double seconds = end.extra().path("elapsed_s").asDouble(0);
        Path shared = run.resolve(BRANCH_START);
        double sharedSeconds = Files.isRegularFile(shared) ? StudyFiles.readTree(shared).path("elapsed_s").asDouble(0) : 0;
        Point pt = new Point(k, cfg.budgets().get(k), end.step(), end.bytesSeen(), end.bytesSeen() * p.trainingPerByte(),
                r.heldOutBpb(), Double.isNaN(r.avgPatchLength()) ? null : r.avgPatchLength(), cfg.evalBytes(), seconds, sharedSeconds);
        StudyFiles.writeJson(pointFile(dir, k), pt);
        out.printf("%s budget %.2f: %,d steps, %,d bytes, %.3g training FLOPs: held-out %.4f bpb%n", p.key(),
                pt.fraction(), pt.steps(), pt.bytes(), pt.trainingFlops(), pt.heldOutBpb());
    }

    private Trainer trainer(TrainTask task, TrainConfig c, Path run, ArmPlan p, int k, Progress progress) {
        long runStart = latestStep(run);
        String label = p.size() + "/" + p.arm() + (run.getFileName().toString().equals("main") ? "" : " b" + k);
        return new Trainer(task, c, run, out).finalEvalBytes(cfg.evalBytes()).evalAtPause(false)
                .progress(label, progress.fields(p, runStart));
    }

    /** The training config of one of the arm's runs (the study's data order: rows in stream order). */
    TrainConfig config(ArmPlan p, long steps, Path run) {
        StudyConfig.Size size = cfg.sizes().stream().filter(s -> s.name().equals(p.size())).findFirst().orElseThrow();
        ObjectNode t = JsonNodeFactory.instance.objectNode();
        ObjectNode model = t.putObject("model");
        model.set("args", p.args().deepCopy());
        if (p.type() == Arm.Type.BPE) model.put("tokenizer", data.bpeFile().toString());
        ObjectNode optim = size.optim() != null ? ((ObjectNode) size.optim()).deepCopy() : t.objectNode();
        optim.put("schedule", "wsd");
        optim.put("decay_fraction", cfg.decayFraction());
        t.set("optim", optim);
        ObjectNode d = t.putObject("data");
        d.put("path", cfg.data().path());
        d.put("heldout_fraction", cfg.data().heldoutFraction());
        d.put("seq_len", p.seqLen());
        d.put("batch_size", p.batchSize());
        d.put("shuffle", false);
        if (p.type().isBlt()) {
            d.put("max_patches", p.maxPatches());
            d.put("entropy_model", emDir.toString());
        }
        ObjectNode tr = t.putObject("train");
        if (steps > Integer.MAX_VALUE) throw new Blt4jException("study: arm " + p.key() + " would take " + steps + " steps");
        tr.put("steps", (int) steps);
        tr.put("checkpoint_every", (int) Math.max(1, p.steps() / 10));
        tr.put("keep", 2);
        tr.put("eval_every", Integer.MAX_VALUE);
        tr.put("eval_bytes", cfg.evalBytes());
        tr.put("log_every", 10);
        tr.put("seed", cfg.seed());
        tr.put("out", run.toString());
        return TrainConfig.fromTree(t, List.of(), "study arm " + p.key());
    }

    private TrainTask task(ArmPlan p, TrainConfig c) {
        Consumer<String> log = s -> out.println(p.key() + ": " + s);
        return switch (p.type()) {
            case BYTES -> Training.entropyTask(c, data.streams());
            case BPE -> Training.tokenTask(c, data.split());
            default -> Training.bltTask(c, data.streams(), trainH, heldH, log);
        };
    }

    /** Copies the main run's step folder as the first checkpoint of a branch, atomically (a temp folder renamed). */
    private static void copyBranchStart(Path stepDir, Path branch) {
        if (!Files.isRegularFile(stepDir.resolve(ModelDirs.STATE)))
            throw new Blt4jException("study: " + stepDir + " is missing: the branch cannot start; delete " + branch.getParent() + " to redo this arm");
        Path tmp = branch.resolveSibling("." + branch.getFileName() + ".tmp");
        try {
            StudyFiles.deleteTree(tmp);
            StudyFiles.deleteTree(branch);
            Path target = tmp.resolve(stepDir.getFileName());
            Files.createDirectories(target);
            try (Stream<Path> files = Files.list(stepDir)) {
                for (Path f : files.toList()) Files.copy(f, target.resolve(f.getFileName()));
            }
            Files.writeString(tmp.resolve(ModelDirs.LATEST), stepDir.getFileName() + "\n", StandardCharsets.UTF_8);
            double elapsed = TrainCheckpoint.readState(stepDir).extra().path("elapsed_s").asDouble(0);
            Files.writeString(tmp.resolve(BRANCH_START), "{\"elapsed_s\": " + elapsed + "}\n", StandardCharsets.UTF_8);
            Files.move(tmp, branch, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new Blt4jException("study: cannot copy " + stepDir + " to " + branch + ": " + e.getMessage());
        }
    }

    /** A finished branch keeps its metrics, not its checkpoints (only the whole budget's model is used again). */
    private static void deleteSteps(Path run) {
        for (Path s : ModelDirs.steps(run)) StudyFiles.deleteTree(s);
    }
}
