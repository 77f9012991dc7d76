package org.blt4j.study;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongFunction;
import org.blt4j.Blt4jException;
import org.blt4j.data.EntropyCache;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.eval.Flops;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.nn.ParamStore;
import org.blt4j.run.ProgressBar;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.Trainer;
import org.blt4j.train.Training;

/**
 * {@code blt4j study}: every arm of a {@link StudyConfig} trained at every size to the size's training-FLOP budget,
 * scored at each budget, evaluated for noise robustness, and reported. In OUT: study.json (the config the folder
 * belongs to: another config is refused), bpe.tiktoken, entropy/ (the entropy model's run), the entropies of both
 * streams, plan.json (every arm's sizing and steps), SIZE/ARM/ (its runs and budget-k.json), noise/, times.json.
 * Each phase is skipped when its output exists, so running the command again resumes where it stopped.
 */
public final class Study {
    private final StudyConfig cfg;
    private final Path out;
    private final PrintStream log;
    private final StudyClock clock;

    private Study(StudyConfig cfg, PrintStream log) {
        this.cfg = cfg;
        this.out = Path.of(cfg.out());
        this.log = log;
        this.clock = new StudyClock(out.resolve("times.json"));
    }

    /** Runs (or resumes) the study and writes its report; returns the report folder. */
    public static Path run(StudyConfig cfg, String command, Path notes, PrintStream log) {
        String text = "";
        Path reportDir = cfg.reportDir();   // checked before anything trains: it was refused only when the report was written
        if (Files.exists(reportDir) && !Files.isDirectory(reportDir))
            throw new Blt4jException("study: the report folder " + reportDir + " is " + (Files.isRegularFile(reportDir) ? "a file" : "not a folder")
                    + ": give --report a folder (it is created if missing)");
        if (notes != null) {
            if (!Files.isRegularFile(notes))   // a FIFO waited for a writer forever, /dev/zero was read until memory ran out
                throw new Blt4jException("study: --notes " + notes + (Files.isDirectory(notes) ? " is a folder"
                        : Files.exists(notes) ? " is not a regular file (a FIFO, device or socket)" : ": no such file") + "; give a markdown file");
            try {
                text = Files.readString(notes);
            } catch (IOException e) {
                throw new Blt4jException("study: --notes " + notes + ": cannot read (" + e.getMessage() + ")");
            }
        }
        return new Study(cfg, log).run(command, text);
    }

    /** whether this run got the folder's lock (only then may it delete a folder it created) */
    private boolean heldLock;

    private Path run(String command, String notes) {
        boolean created = !Files.exists(out);
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw new Blt4jException("study: cannot create " + out + ": " + e.getMessage());
        }
        try {
            return runInFolder(command, notes);
        } catch (RuntimeException e) {
            // a folder this run made and no config claimed (refused before anything trained) is not left behind; only
            // when this run held its lock (one that lost it to a study started at the same moment deleted the winner's)
            if (created && heldLock && !Files.exists(out.resolve("study.json"))) StudyFiles.deleteTree(out);
            throw e;
        }
    }

    private Path runInFolder(String command, String notes) {
        try (var lock = java.nio.channels.FileChannel.open(out.resolve(".lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var held = lock.tryLock()) {
            heldLock = held != null;
            if (held == null)
                throw new Blt4jException("study: another study is running in " + out + " (it holds " + out.resolve(".lock")
                        + "); wait for it, or pass another --out");
            return runLocked(command, notes);
        } catch (java.nio.channels.OverlappingFileLockException e) {
            throw new Blt4jException("study: another study is running in " + out + " in this JVM; pass another --out");
        } catch (IOException e) {
            throw new Blt4jException("study: cannot lock " + out.resolve(".lock") + ": " + e.getMessage());
        }
    }

    private Path runLocked(String command, String notes) {
        long t0 = System.nanoTime();
        boolean claimed = checkClaim();
        StudyData data = StudyData.prepare(cfg, out, claimed, log::println);
        if (!claimed) {
            StudyPlanner.plan(cfg, data, null);        // sizes and budgets checked before anything is trained
            claim();                                   // only a config that passed the checks owns the folder
        }
        clock.add("prepare", t0);

        long t1 = System.nanoTime();
        Path emDir = entropyModel(data);
        EntropyModel em = ModelLoader.entropyModel(ModelDirs.resolveModel(emDir));
        clock.add("entropy_model", t1);

        long t2 = System.nanoTime();
        float[] trainH = entropies(em, data.streams().train(), "train");
        float[] heldH = entropies(em, data.streams().heldOut(), "heldout");
        List<ArmPlan> plans = plans(data, trainH);
        clock.add("entropies", t2);

        ArmRunner runner = new ArmRunner(cfg, data, trainH, heldH, emDir, log);
        Eta eta = new Eta(plans);
        for (ArmPlan p : plans) {
            long t = System.nanoTime();
            runner.run(p, out, eta);
            clock.add("train " + p.key(), t);
        }

        long t3 = System.nanoTime();
        List<StudyNoise.Row> noise = StudyNoise.run(cfg, data, plans, out, emDir, log);
        clock.add("noise", t3);

        StudyReport report = new StudyReport(cfg, out, plans, data, entropyInfo(em, data), noise, clock, command).notes(notes);
        Path dir = report.write();
        log.println("report: " + dir.resolve("report.md"));
        return dir;
    }

    /** OUT belongs to one study: true when this config owns it already; a different one is refused. */
    private boolean checkClaim() {
        Path f = out.resolve("study.json");
        if (!Files.isRegularFile(f)) return false;
        claim();
        return true;
    }

    /** Writes the config to OUT/study.json, or checks that the one there is this one. */
    private void claim() {
        ObjectNode mine = cfg.toTree();
        mine.remove("out");
        mine.remove("report");
        Path f = out.resolve("study.json");
        if (Files.isRegularFile(f)) {
            ObjectNode saved = (ObjectNode) StudyFiles.readTree(f);
            if (saved.equals(SAME_NUMBER, mine)) return;
            ObjectNode a = saved.deepCopy(), b = mine.deepCopy();
            a.remove("noise");
            b.remove("noise");
            if (!a.equals(SAME_NUMBER, b))
                throw new Blt4jException("study: " + out + " holds a study of another config (" + firstDifference(saved, mine)
                        + "); pass another --out, or delete the folder to start over");
            // only the robustness evaluation changed: the trained arms stay, the evaluation is done again
            log.println("study: the noise section changed: the robustness evaluation is done again, the trained arms are kept");
            StudyFiles.deleteTree(out.resolve("noise"));
        }
        StudyFiles.writeJson(f, mine);
    }

    /** Node equality where numbers compare by value: a long 1 in memory is the int 1 the file reads back. */
    private static final java.util.Comparator<com.fasterxml.jackson.databind.JsonNode> SAME_NUMBER = (x, y) ->
            x.isNumber() && y.isNumber() ? Double.compare(x.doubleValue(), y.doubleValue()) : x.equals(y) ? 0 : 1;

    private static String firstDifference(ObjectNode a, ObjectNode b) {
        java.util.TreeSet<String> keys = new java.util.TreeSet<>();
        a.fieldNames().forEachRemaining(keys::add);
        b.fieldNames().forEachRemaining(keys::add);
        for (String k : keys) {
            com.fasterxml.jackson.databind.JsonNode x = a.get(k), y = b.get(k);
            if (x == null || y == null || !x.equals(SAME_NUMBER, y)) return k + " differs";  // numbers by value, as the check
        }
        return "it differs";
    }

    /** The entropy model: an existing one (entropy_model.path), or trained in OUT/entropy (resumed if interrupted). */
    private Path entropyModel(StudyData data) {
        StudyConfig.EntropyModelSpec s = cfg.entropyModel();
        if (s.path() != null) return Path.of(s.path());
        Path dir = out.resolve("entropy");
        List<Path> steps = ModelDirs.steps(dir);
        long at = steps.isEmpty() ? 0 : ModelDirs.stepOf(steps.get(steps.size() - 1));
        if (at >= s.steps()) return dir;
        ObjectNode t = JsonNodeFactory.instance.objectNode();
        t.putObject("model").set("args", s.args().deepCopy());
        ObjectNode o = t.putObject("optim");
        o.put("lr", s.lr());
        o.put("warmup", s.warmup());
        o.put("schedule", "cosine");
        ObjectNode d = t.putObject("data");
        d.put("path", cfg.data().path());
        d.put("heldout_fraction", cfg.data().heldoutFraction());
        d.put("seq_len", s.seqLen());
        d.put("batch_size", s.batchSize());
        ObjectNode tr = t.putObject("train");
        tr.put("steps", s.steps());
        tr.put("checkpoint_every", Math.max(1, s.steps() / 5));
        tr.put("eval_every", s.steps());
        tr.put("eval_bytes", cfg.evalBytes());
        tr.put("seed", cfg.seed());
        tr.put("out", dir.toString());
        TrainConfig c = TrainConfig.fromTree(t, List.of(), "study entropy_model");
        new Trainer(Training.entropyTask(c, data.streams()), c, dir, log).finalEvalBytes(cfg.evalBytes())
                .progress("entropy model", step -> new Object[0]).run(at > 0 ? dir : null);
        return dir;
    }

    private float[] entropies(EntropyModel em, int[] ids, String name) {
        ChunkedEntropies.Chunking chunking = ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize());
        ProgressBar bar = new ProgressBar("entropies " + name, ids.length, "tok");
        EntropyCache.Result r = EntropyCache.entropies(em, ids, out.resolve(name), out, chunking,
                (done, total) -> bar.update(done, done), s -> {});
        bar.finish();
        return r.entropies();
    }

    /** plan.json: computed once (with the entropies), then read, so a resumed study keeps its arms' shapes and steps. */
    private List<ArmPlan> plans(StudyData data, float[] trainH) {
        Path f = out.resolve("plan.json");
        List<ArmPlan> plans;
        if (Files.isRegularFile(f)) {
            plans = Arrays.asList(StudyFiles.read(f, ArmPlan[].class));
        } else {
            plans = StudyPlanner.plan(cfg, data, trainH);
            StudyFiles.writeJson(f, plans);
        }
        log.println(StudyReport.planTable(plans));
        return plans;
    }

    /** The entropy model's size, cost and held-out bits per byte (on the study's eval_bytes). */
    record EntropyInfo(long params, double forwardPerByte, double heldOutBpb) {}

    private EntropyInfo entropyInfo(EntropyModel em, StudyData data) {
        double bpb = BitsPerByte.entropyModel(em, data.streams().heldOut(), Math.min(1024, em.args().maxSeqlen()), cfg.evalBytes()).bpb();
        return new EntropyInfo(ParamStore.numel(EntropyModel.specs(em.args())),
                Flops.entropyModelPerByte(em.args(), em.args().maxSeqlen()), bpb);
    }

    /** The study's progress fields: share of the training work done (in FLOPs) and the ETA of the rest. */
    private final class Eta implements ArmRunner.Progress {
        private final List<ArmPlan> plans;
        private final double total;
        private final double doneAtStart;
        private final long startNanos = System.nanoTime();

        Eta(List<ArmPlan> plans) {
            this.plans = plans;
            double t = 0;
            for (ArmPlan p : plans) t += p.totalWorkSteps() * p.flopsPerStep();
            this.total = t;
            this.doneAtStart = done();
        }

        private double done() {
            double d = 0;
            for (ArmPlan p : plans) d += ArmRunner.stepsDone(ArmRunner.armDir(out, p), p) * p.flopsPerStep();
            return d;
        }

        @Override
        public LongFunction<Object[]> fields(ArmPlan plan, long runStartStep) {
            double base = done();
            return step -> {
                double now = base + (step - runStartStep) * plan.flopsPerStep();
                double secs = (System.nanoTime() - startNanos) / 1e9;
                double rate = (now - doneAtStart) / Math.max(1e-9, secs);
                String eta = secs < 20 || rate <= 0 ? "..." : ProgressBar.duration((total - now) / rate);
                return new Object[] {"study", String.format("%.0f%%", 100 * now / total), "eta", eta};
            };
        }
    }
}
