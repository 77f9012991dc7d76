package org.blt4j.spark;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;
import org.blt4j.train.diloco.DiLoCoArgs;
import org.blt4j.train.diloco.DiLoCoWorker;
import org.blt4j.train.diloco.RoundRunner;
import org.blt4j.train.diloco.RunStore;

/**
 * A DiLoCo round as one Spark stage: θ goes out by broadcast, task w runs worker w's round (its inner state read from
 * and written to the run store), the deltas come back with collect() and are put in worker order, so the driver's sum
 * never depends on which task finished first. A failed task is retried by Spark and, its inputs being the same, returns
 * the same delta.
 */
public final class SparkRoundRunner implements RoundRunner {
    private final JavaSparkContext jsc;
    private final String trainConfig;
    private final DiLoCoArgs args;
    private final RunStore store;
    private final long failRound;
    private final int failWorker;

    /** failRound / failWorker: that task's first attempt fails after its round (tests; -1: none). */
    public SparkRoundRunner(JavaSparkContext jsc, JsonNode trainConfig, DiLoCoArgs args, RunStore store, long failRound, int failWorker) {
        this.jsc = jsc;
        this.trainConfig = trainConfig.toString();
        this.args = args;
        this.store = store;
        this.failRound = failRound;
        this.failWorker = failWorker;
    }

    @Override
    public List<DiLoCoWorker.RoundResult> run(long round, float[] globalParams) {
        Broadcast<float[]> theta = jsc.broadcast(globalParams);
        String cfg = trainConfig;
        DiLoCoArgs a = args;
        RunStore s = store;
        long fr = failRound;
        int fw = failWorker;
        List<Integer> workers = new ArrayList<>();
        for (int w = 0; w < args.workers(); w++) workers.add(w);
        try {
            List<DiLoCoWorker.RoundResult> results = new ArrayList<>(jsc.parallelize(workers, workers.size()).map(w -> {
                DiLoCoWorker.RoundResult r = DiLoCoWorker.runRound(parse(cfg), a, w, round, theta.value(), s);
                TaskContext tc = TaskContext.get();
                if (round == fr && w == fw && tc != null && tc.attemptNumber() == 0)
                    throw new IllegalStateException("injected failure (test): worker " + w + ", round " + round + ", first attempt");
                return r;
            }).collect());
            results.sort(Comparator.comparingInt(DiLoCoWorker.RoundResult::worker));
            for (int w = 0; w < results.size(); w++)
                if (results.get(w).worker() != w || results.get(w).round() != round)
                    throw new IllegalStateException("round " + round + ": results out of order at " + w);
            return results;
        } catch (Blt4jException e) {
            throw e;
        } catch (Exception e) {   // SparkException is checked, thrown unchecked by Scala
            throw new Blt4jException("DiLoCo round " + round + " failed: " + Errors.oneLine(e), e);
        } finally {
            theta.destroy();
        }
    }

    static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
