package org.blt4j.train.diloco;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.data.DataSplit;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.run.MetricsLog;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.run.TrainState;
import org.blt4j.train.LrSchedule;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Trainer;

/**
 * The DiLoCo driver: θ from the config's init (train.seed, as {@link Trainer}); rounds = ceil(train.steps / H); each
 * round the runner trains the N workers from θ, the driver takes the outer Nesterov step on their mean delta, logs the
 * inner losses (averaged over workers, per inner step) and held-out bits per byte, and checkpoints: a hub-layout step
 * folder named by inner steps done (loadable by generate and eval) and RUN/outer/round-R.bin (momentum, rounds, outer
 * steps). Workers' states of round R-1 are deleted only once round R's checkpoint is committed, so a crash anywhere
 * resumes and replays exactly. Where the workers' states live (the run folder, or another store) is recorded too: a
 * resume that would look for them elsewhere is refused.
 */
public final class DiLoCo {
    public record Result(long rounds, long innerSteps, double heldOutBpb, List<Double> losses, long bytesSentPerRound, Path lastCheckpoint) {}

    private final TrainConfig cfg;
    private final DiLoCoArgs args;
    private final RunStore store;
    private final String workerStates;   // where store is, as the user named it; null: the run folder
    private final Path runDir;
    private final PrintStream out;

    /** Workers' states in {@code store}, which is the run folder. */
    public DiLoCo(TrainConfig cfg, DiLoCoArgs args, RunStore store, Path runDir, PrintStream out) {
        this(cfg, args, store, null, runDir, out);
    }

    /** workerStates: where {@code store} keeps the workers' states (a URI, recorded in the run; null: the run folder). */
    public DiLoCo(TrainConfig cfg, DiLoCoArgs args, RunStore store, String workerStates, Path runDir, PrintStream out) {
        this.cfg = cfg;
        this.args = args;
        this.store = store;
        this.workerStates = workerStates;
        this.runDir = runDir.toAbsolutePath().normalize();
        this.out = out;
    }

    /**
     * What a DiLoCo --resume continues from: the run folder (its latest step), or, when the run was killed between a
     * step folder's rename and the write of {@code latest} (each round's outer state is written before its step
     * folder), its newest complete step folder; the advice "--resume STEP" of the plain trainer does not apply here.
     */
    public static Path checkpointToResume(Path runDir) {
        if (Files.isRegularFile(runDir.resolve(TrainCheckpoint.LATEST))) return runDir;
        List<Path> steps = org.blt4j.io.ModelDirs.steps(runDir);
        if (steps.isEmpty() || !Files.isRegularFile(steps.getLast().resolve(org.blt4j.io.ModelDirs.STATE)))
            throw new Blt4jException("nothing to resume in " + runDir + " (no " + TrainCheckpoint.LATEST + " file and no"
                    + " complete step folder): start afresh in another --out, or delete the folder");
        return steps.getLast();
    }

    /** Trains to train.steps, from scratch or (resume) from the run folder's newest checkpoint; stops after stopAfterRounds rounds of this call. */
    public Result run(RoundRunner runner, boolean resume, long stopAfterRounds) {
        // the corpus is read once, before the run folder is made; each worker needs a document (5000 workers failed at
        // worker 22, after 22 had trained a round; 2^31 ran out of memory); a resume compares its workers with the run's
        DataSplit split = ShardTasks.textSplit(cfg);
        if (!resume) ShardTasks.requireDocuments(split, args.workers(), cfg);
        try (org.blt4j.run.RunFiles.Lock lock = org.blt4j.run.RunFiles.claim(runDir, resume)) {
            return runLocked(split, runner, resume, stopAfterRounds);
        }
    }

    private Result runLocked(DataSplit split, RoundRunner runner, boolean resume, long stopAfterRounds) {
        long total = DiLoCoWorker.totalSteps(cfg);
        if (cfg.train().minutes() != null) out.println("note: DiLoCo trains train.steps inner steps; train.minutes is ignored");
        TrainTask task = ShardTasks.build(cfg, split, 0, 1, out::println);
        float[] theta = task.params().data();
        int p = theta.length;
        float[] momentum = new float[p];
        long roundsDone = 0, outerSteps = 0, bytesSeen = 0, tokensSeen = 0;
        double elapsedBefore = 0;
        long rounds = args.rounds(total);
        MetricsLog metrics;
        if (resume) {
            Path from = checkpointToResume(runDir);
            if (!from.equals(runDir))
                out.printf("no %s file in %s (a run killed before it was written): resuming from its newest step folder, %s%n",
                        TrainCheckpoint.LATEST, runDir, from.getFileName());
            TrainState s = TrainCheckpoint.load(from, task.params(), null, null);
            JsonNode x = s.extra();
            if (!x.path("kind").asText().equals(task.kind()) || !x.has("diloco"))
                throw new Blt4jException("cannot resume " + runDir + ": it is not a DiLoCo '" + task.kind() + "' run");
            DiLoCoArgs saved = new DiLoCoArgs(x.path("diloco").path("workers").asInt(), x.path("diloco").path("inner_steps").asInt(),
                    x.path("diloco").path("outer_lr").asDouble(), x.path("diloco").path("outer_momentum").asDouble());
            if (!saved.equals(args))
                throw new Blt4jException("cannot resume " + runDir + " with " + args + ": it was run with " + saved);
            JsonNode ws = x.path("diloco").get("worker_states");   // absent: a run from before it was recorded
            String savedStates = ws == null || ws.isNull() ? null : ws.asText();
            if (ws != null && !java.util.Objects.equals(savedStates, workerStates))
                throw new Blt4jException("cannot resume " + runDir + " with the workers' states in " + where(workerStates) + ": the run keeps"
                        + " them in " + where(savedStates) + " (spark train --worker-states: leave the flag out on resume to use the run's)");
            String savedLayout = x.path("diloco").path("param_layout").asText(""), layout = paramLayout(task.params());
            if (!savedLayout.isEmpty() && !savedLayout.equals(layout))   // absent: a run from before it was recorded
                throw new Blt4jException("cannot resume " + runDir + ": its DiLoCo states hold the parameters in another order"
                        + " (layout " + savedLayout + ", this blt4j " + layout + "; written by another version): resume it with"
                        + " the blt4j that started it, or start afresh in another --out from its step folder's weights");
            String was = x.path("inputs").asText(""), now = task.inputs();
            if (!was.isEmpty() && !now.isEmpty() && !was.equals(now))
                throw new Blt4jException("cannot resume " + runDir + ": the training data differ from what this run was trained on"
                        + " (inputs " + was + ", now " + now + "); a resume needs the same inputs (give another --out to start afresh)");
            roundsDone = x.path("rounds").asLong();
            if (s.step() != Math.min(roundsDone * args.innerSteps(), total))
                throw new Blt4jException("cannot resume " + runDir + ": its " + roundsDone + " rounds ended at inner step " + s.step()
                        + ", which is not a round boundary of a " + total + "-step run");
            OuterState os = OuterState.read(runDir, roundsDone, p);
            momentum = os.momentum();
            outerSteps = os.outerSteps();
            bytesSeen = s.bytesSeen();
            tokensSeen = s.tokensSeen();
            elapsedBefore = x.path("elapsed_s").asDouble(0);
            metrics = MetricsLog.resume(runDir, s.step());
            if (roundsDone >= 2) deleteStates(roundsDone - 2);   // a crash between a commit and its clean-up
            out.printf("resumed %s after round %d of %d (inner step %d)%n", runDir, roundsDone, rounds, s.step());
        } else {
            metrics = MetricsLog.fresh(runDir);
        }
        task.install(runDir);   // the token LM's tokenizer, now that the folder is this run's
        TrainCheckpoint ckpt = new TrainCheckpoint(runDir, cfg.train().keep());
        LrSchedule sched = DiLoCoWorker.schedule(cfg.optim(), total);
        TrainConfig.Train t = cfg.train();
        List<Double> losses = new ArrayList<>();
        BitsPerByte.Eval lastEval = null;
        Path last = null;
        long start = System.nanoTime(), thisRun = 0, bytesThisRun = 0;
        try (metrics) {
            while (roundsDone < rounds && thisRun < stopAfterRounds) {
                long r = roundsDone;
                int steps = args.stepsInRound(r, total);
                List<DiLoCoWorker.RoundResult> results = runner.run(r, theta.clone());
                check(results, r, steps, p);
                OuterStep.nesterov(theta, momentum, OuterStep.meanDelta(results.stream().map(DiLoCoWorker.RoundResult::delta).toList()),
                        args.outerLr(), args.outerMomentum());
                roundsDone++;
                outerSteps++;
                thisRun++;
                long roundBytes = 0, roundTargets = 0;
                for (DiLoCoWorker.RoundResult res : results) {
                    roundBytes += res.bytes();
                    roundTargets += res.targets();
                }
                bytesSeen += roundBytes;
                bytesThisRun += roundBytes;
                tokensSeen += roundTargets;
                double bpbPerNat = roundTargets / Math.log(2) / Math.max(1, roundBytes);
                double secs = (System.nanoTime() - start) / 1e9;
                boolean ended = roundsDone == rounds, lastRound = ended || thisRun >= stopAfterRounds;
                long first = r * args.innerSteps();
                double roundLoss = 0;
                String heldOut = "";
                for (int k = 0; k < steps; k++) {
                    double loss = 0;   // mean over workers, in worker order
                    for (DiLoCoWorker.RoundResult res : results) loss += res.losses()[k];
                    loss /= results.size();
                    roundLoss += loss / steps;
                    losses.add(loss);
                    long step = first + k + 1;
                    MetricsLog.Entry e = MetricsLog.Entry.at(step).with(MetricsLog.TRAIN_LOSS, loss)
                            .with(MetricsLog.TRAIN_BPB, loss * bpbPerNat).with(MetricsLog.LR, sched.lr(step - 1));
                    boolean roundEnd = k == steps - 1;
                    if (roundEnd) {
                        e = e.with("round", (double) roundsDone).with(MetricsLog.BYTES_PER_S, bytesThisRun / Math.max(1e-9, secs))
                                .with(MetricsLog.ELAPSED_S, elapsedBefore + secs);
                        if (lastRound || step / t.evalEvery() > first / t.evalEvery()) {
                            lastEval = task.evalHeldOut(lastRound ? Long.MAX_VALUE : t.evalBytes());
                            e = e.with(lastRound ? MetricsLog.HELDOUT_BPB_ALL : MetricsLog.HELDOUT_BPB, lastEval.bpb());
                            heldOut = String.format(", held-out %.4f bpb", lastEval.bpb());
                        }
                    }
                    if (step % t.logEvery() == 0 || roundEnd) metrics.append(e);
                }
                out.printf("round %d/%d: inner steps %d, mean loss %.4f%s%n", roundsDone, rounds, first + steps, roundLoss, heldOut);
                // before this round's outer state or checkpoint is written
                boolean lossFinite = Double.isFinite(roundLoss), evaluated = !heldOut.isEmpty();
                String measure = !lossFinite ? "the round's mean training loss" : evaluated ? "the held-out bits per byte" : null;
                double value = !lossFinite ? roundLoss : evaluated ? lastEval.bpb() : Double.NaN;
                org.blt4j.train.Training.requireNotDiverged(theta, measure, value, first + steps, "--outer-lr (or optim.lr)");
                new OuterState(roundsDone, outerSteps, momentum).write(runDir);
                last = ckpt.save(new TrainState(first + steps, tokensSeen, bytesSeen, 0, first + steps, List.of(), cfg.toTree(),
                        extra(task.kind(), total, roundsDone, elapsedBefore + secs, paramLayout(task.params()))
                                .put("inputs", task.inputs())), task.args(),
                        task.params(), null, null);
                metrics.checkpointed();
                if (r >= 1) deleteStates(r - 1);
            }
        }
        long done = Math.min(roundsDone * args.innerSteps(), total);
        if (roundsDone == rounds || thisRun > 0) Trainer.plot(runDir, task.kind() + " (DiLoCo, " + args.workers() + " workers): bits per byte", Double.NaN, null);
        if (lastEval == null) lastEval = task.evalHeldOut(Long.MAX_VALUE);
        if (last == null && Files.isRegularFile(runDir.resolve(TrainCheckpoint.LATEST))) last = runDir.resolve(TrainCheckpoint.stepName(done));
        return new Result(roundsDone, done, lastEval.bpb(), losses, 4L * p * (1 + args.workers()), last);
    }

    /** The results must be the N workers' of this round, in worker order, each of the model's size. */
    private void check(List<DiLoCoWorker.RoundResult> results, long round, int steps, int p) {
        if (results.size() != args.workers())
            throw new Blt4jException("DiLoCo round " + round + ": the runner returned " + results.size() + " results for " + args.workers() + " workers");
        for (int w = 0; w < results.size(); w++) {
            DiLoCoWorker.RoundResult res = results.get(w);
            if (res.worker() != w || res.round() != round || res.delta().length != p || res.losses().length != steps)
                throw new Blt4jException("DiLoCo round " + round + ": result " + w + " is worker " + res.worker() + "'s of round " + res.round()
                        + " with " + res.delta().length + " parameters and " + res.losses().length + " losses (expected worker " + w
                        + ", " + p + " parameters, " + steps + " losses)");
        }
    }

    /** The workers' states of round r and the outer state after it: no longer needed once round r+1 is committed. */
    private void deleteStates(long r) {
        for (int w = 0; w < args.workers(); w++) store.delete(WorkerState.name(w, r));
        OuterState.delete(runDir, r);
    }

    /**
     * The order, names and shapes of the parameters (a hex SHA-256 prefix): the outer and worker states store the
     * parameters as flat arrays in this order, so a resume checks it (a reordering would scramble the moments).
     */
    static String paramLayout(org.blt4j.nn.ParamStore params) {
        StringBuilder sb = new StringBuilder();
        for (org.blt4j.nn.ParamStore.Param q : params.params())
            sb.append(q.name()).append(' ').append(java.util.Arrays.toString(q.shape())).append(' ').append(q.offset()).append('\n');
        return new org.blt4j.io.Sha256().text(sb.toString()).hex(8);
    }

    private ObjectNode extra(String kind, long total, long roundsDone, double elapsed, String paramLayout) {
        ObjectNode x = JsonNodeFactory.instance.objectNode();
        x.put("kind", kind).put("total_steps", total).put("elapsed_s", elapsed).put("rounds", roundsDone)
                .put("outer_state", OuterState.name(roundsDone - 1));
        x.putObject("diloco").put("workers", args.workers()).put("inner_steps", args.innerSteps())
                .put("outer_lr", args.outerLr()).put("outer_momentum", args.outerMomentum()).put("worker_states", workerStates)
                .put("param_layout", paramLayout);
        return x;
    }

    private static String where(String workerStates) {
        return workerStates == null ? "the run folder" : workerStates;
    }
}
