package org.blt4j.spark;

import picocli.CommandLine.Command;

/** blt4j spark: the Spark jobs, embedded (local[*]) unless --master names a cluster. */
@Command(name = "spark", mixinStandardHelpOptions = true,
        description = "Spark jobs: patch a corpus into a Parquet dataset, train with DiLoCo, benchmark the entropy pass. "
                + "Embedded local mode by default; --master spark://HOST:PORT (or spark-submit) for a cluster.",
        subcommands = {SparkPatchCommand.class, SparkTrainCommand.class, SparkBenchCommand.class})
public final class SparkCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
