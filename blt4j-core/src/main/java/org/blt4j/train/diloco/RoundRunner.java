package org.blt4j.train.diloco;

/** Runs one round's N workers (in-process here, as Spark tasks in blt4j-spark) and returns their results in worker order. */
public interface RoundRunner {
    java.util.List<DiLoCoWorker.RoundResult> run(long round, float[] globalParams);
}
