package org.blt4j.spark;

import java.nio.file.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.blt4j.cli.TrainDiLoCoCommand;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.diloco.DiLoCo;
import org.blt4j.train.diloco.DiLoCoArgs;
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

    @Option(names = "--worker-states", paramLabel = "URI",
            description = "where the workers keep their inner optimizer state between rounds (any Hadoop file system; default: the run folder)")
    String workerStates;

    @Override
    protected DiLoCo.Result train(TrainConfig cfg, DiLoCoArgs args, Path runDir) {
        RunStore store = HadoopRunStore.of(workerStates != null ? workerStates : runDir.toString());
        SparkSession session = spark.open("blt4j DiLoCo");
        try {
            System.out.println("spark: master " + session.sparkContext().master() + ", " + session.sparkContext().defaultParallelism()
                    + " task slots; worker states in " + store.uri("workers"));
            SparkRoundRunner runner = new SparkRoundRunner(JavaSparkContext.fromSparkContext(session.sparkContext()), cfg.toTree(), args, store, -1, -1);
            return new DiLoCo(cfg, args, store, runDir, System.out).run(runner, resume, Long.MAX_VALUE);
        } finally {
            session.stop();
        }
    }
}
