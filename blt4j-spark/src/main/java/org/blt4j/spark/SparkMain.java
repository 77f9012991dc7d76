package org.blt4j.spark;

import org.blt4j.cli.Main;

/**
 * Main class of the job jar for spark-submit: {@code spark-submit --master spark://HOST:PORT blt4j-spark-job.jar patch ...}
 * runs {@code blt4j spark patch ...} with the master spark-submit gave.
 */
public final class SparkMain {
    private SparkMain() {}

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "spark";
        System.arraycopy(args, 0, all, 1, args.length);
        System.exit(Main.commandLine().execute(all));
    }
}
