package org.blt4j.spark;

import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.blt4j.cli.TrainDiLoCoCommand;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.diloco.DiLoCo;
import org.blt4j.train.diloco.DiLoCoArgs;
import org.blt4j.train.diloco.LocalRunStore;
import org.blt4j.train.diloco.RunStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j spark train: DiLoCo with its workers as Spark tasks (train-diloco's options, plus the cluster's). */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train with DiLoCo on Spark: each round is one stage of N tasks (worker w trains H inner AdamW steps"
                + " on its shard from the broadcast parameters); the driver sums the deltas in worker order, takes an outer"
                + " Nesterov step and checkpoints (hub layout + outer state) in the run folder; --resume continues."})
public final class SparkTrainCommand extends TrainDiLoCoCommand {
    @picocli.CommandLine.Mixin
    SparkOptions spark;

    @Option(names = "--worker-states", paramLabel = "URI", description = "where the workers keep their inner optimizer state between"
            + " rounds (any Hadoop file system; default: the run folder; on --resume: the run's own, recorded at its start)")
    String workerStates;

    @Override
    protected void savedArgs(com.fasterxml.jackson.databind.JsonNode d, picocli.CommandLine.ParseResult given) {
        super.savedArgs(d, given);
        if (!given.hasMatchedOption("--worker-states") && d.hasNonNull("worker_states")) workerStates = d.get("worker_states").asText();
    }

    @Override
    protected DiLoCo.Result train(TrainConfig cfg, DiLoCoArgs args, Path runDir) {
        String states = workerStatesUri(workerStates, runDir);
        RunStore store = states == null ? new LocalRunStore(runDir) : HadoopRunStore.of(states);
        SparkSession session = spark.open("blt4j DiLoCo");
        try {
            System.out.println("spark: master " + session.sparkContext().master() + ", " + session.sparkContext().defaultParallelism()
                    + " task slots; worker states in " + store.uri("workers"));
            SparkRoundRunner runner = new SparkRoundRunner(JavaSparkContext.fromSparkContext(session.sparkContext()), cfg.toTree(), args, store, -1, -1);
            return new DiLoCo(cfg, args, store, states, runDir, System.out).run(runner, resume, Long.MAX_VALUE);
        } finally {
            session.stop();
        }
    }

    /**
     * --worker-states as the run records it, so that a resume can tell whether it names the same place: a local folder
     * (no scheme, or file:) as an absolute path, any other URI without a trailing '/'; null when it is the run folder.
     */
    static String workerStatesUri(String given, Path runDir) {
        if (given == null) return null;
        java.net.URI u;
        try {
            u = java.net.URI.create(given);
        } catch (IllegalArgumentException e) {
            u = null;   // "my states": a local path, not a URI
        }
        if (u != null && u.getScheme() != null && !u.getScheme().equals("file")) return given.replaceAll("/+$", "");
        Path p;
        try {
            p = (u == null || u.getScheme() == null ? Path.of(given) : Path.of(u)).toAbsolutePath().normalize();
        } catch (IllegalArgumentException e) {   // file:relative, a bad path
            throw new org.blt4j.Blt4jException("--worker-states " + given + ": not a folder or URI (" + e.getMessage() + ")");
        }
        return p.equals(runDir.toAbsolutePath().normalize()) ? null : p.toString();
    }
}
