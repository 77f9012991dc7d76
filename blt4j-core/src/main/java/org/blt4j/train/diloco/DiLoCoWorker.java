package org.blt4j.train.diloco;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.blt4j.Blt4jException;
import org.blt4j.train.AdamW;
import org.blt4j.train.LrSchedule;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;

/**
 * One DiLoCo worker's round: a deterministic function of (config, args, worker, round, global parameters, the worker's
 * stored state of the previous round), so a round re-run after a failure gives the same delta bit for bit.
 */
public final class DiLoCoWorker {
    /** delta [P] = global − local parameters; losses [inner steps]; bytes and counted targets the round trained on. */
    public record RoundResult(int worker, long round, float[] delta, double[] losses, long bytes, long targets) implements java.io.Serializable {}

    /** Built tasks of this JVM, by config + worker + N (a Spark executor runs many rounds of the same workers). */
    private static final Map<String, TrainTask> TASKS = new ConcurrentHashMap<>();

    private DiLoCoWorker() {}

    /**
     * Worker w's round r: its inner state of round r-1 read from the store (none at r = 0), H inner steps from
     * globalParams (inner steps r·H .. r·H+H-1 of the LR schedule, capped at train.steps), its state of round r
     * written, Δ = global − local.
     */
    public static RoundResult runRound(JsonNode trainConfig, DiLoCoArgs args, int worker, long round, float[] globalParams, RunStore store) {
        if (!trainConfig.isObject()) throw new Blt4jException("DiLoCo: the train config must be a JSON object");
        TrainConfig cfg = TrainConfig.fromTree(((ObjectNode) trainConfig).deepCopy(), List.of(), "DiLoCo config");
        long total = totalSteps(cfg);
        int steps = args.stepsInRound(round, total);
        TrainTask task = task(cfg, args, worker);
        synchronized (task) {   // two attempts of one task in one JVM (speculation) take turns
            float[] params = task.params().data();
            if (globalParams.length != params.length)
                throw new Blt4jException("DiLoCo worker " + worker + ": got " + globalParams.length + " global parameters, the model has " + params.length);
            TrainConfig.Optim o = cfg.optim();
            AdamW opt = new AdamW(new AdamW.Config(o.betas().get(0), o.betas().get(1), o.eps(), o.weightDecay(), o.clip()), params.length);
            long bytesSeen = 0, targetsSeen = 0;
            if (round > 0) {
                WorkerState s = WorkerState.read(store, worker, round - 1, params.length);
                opt.restore(s.adamStep(), s.m(), s.v());
                task.seek(s.dataPosition());
                bytesSeen = s.bytesSeen();
                targetsSeen = s.targetsSeen();
            } else {
                task.seek(0);
            }
            System.arraycopy(globalParams, 0, params, 0, params.length);
            LrSchedule sched = schedule(o, total);
            float[] grad = new float[params.length];
            double[] losses = new double[steps];
            long bytes = 0, targets = 0;
            for (int k = 0; k < steps; k++) {
                long step = round * args.innerSteps() + k;
                Arrays.fill(grad, 0f);
                TrainTask.Step s = task.step(grad);
                opt.step(params, grad, sched.lr(step));
                if (!Double.isFinite(s.loss()))
                    throw new Blt4jException("DiLoCo worker " + worker + " diverged at inner step " + (step + 1) + " (loss " + s.loss() + "): lower optim.lr");
                losses[k] = s.loss();
                bytes += s.bytes();
                targets += s.targets();
            }
            WorkerState next = new WorkerState(worker, round, opt.stepCount(), task.position(), bytesSeen + bytes,
                    targetsSeen + targets, opt.m(), opt.v());
            store.write(WorkerState.name(worker, round), next.encode());
            float[] delta = new float[params.length];
            for (int i = 0; i < delta.length; i++) delta[i] = globalParams[i] - params[i];
            return new RoundResult(worker, round, delta, losses, bytes, targets);
        }
    }

    /** The inner LR schedule, as {@link org.blt4j.train.Trainer} builds it for a run of {@code total} steps. */
    static LrSchedule schedule(TrainConfig.Optim o, long total) {
        return LrSchedule.of(o.schedule(), o.lr(), Math.min(o.warmup(), total - 1), total)
                .withMinRatio(o.lrMinRatio()).withDecayFraction(o.decayFraction());
    }

    /** train.steps; a run bounded only by train.minutes is refused (the rounds must be known in advance). */
    static long totalSteps(TrainConfig cfg) {
        if (cfg.train().steps() == null)
            throw new Blt4jException("DiLoCo needs train.steps (its rounds are ceil(steps / H)); train.minutes alone is not supported");
        return cfg.train().steps();
    }

    /** The cached task of (config, worker, N); a different config drops the tasks of the others (one run per JVM at a time). */
    private static TrainTask task(TrainConfig cfg, DiLoCoArgs args, int worker) {
        if (worker < 0 || worker >= args.workers())
            throw new Blt4jException("DiLoCo: worker " + worker + " is not in 0.." + (args.workers() - 1));
        String config = cfg.toTree().toString();
        String key = worker + "/" + args.workers() + "|" + config;
        TrainTask t = TASKS.get(key);
        if (t != null) return t;
        synchronized (TASKS) {
            TASKS.keySet().removeIf(k -> !k.substring(k.indexOf('|') + 1).equals(config));
            return TASKS.computeIfAbsent(key, k -> ShardTasks.build(cfg, worker, args.workers(), m -> {}));
        }
    }

    /** Forgets this JVM's built tasks (their memory). */
    public static void clearCache() {
        TASKS.clear();
    }
}
