package org.blt4j.spark;

import java.util.Map;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** The options every Spark command takes: the master and Spark settings. */
final class SparkOptions {
    @Option(names = "--master", paramLabel = "URL", description = "local[N], spark://HOST:PORT, yarn, k8s://... (default: local[*], or spark-submit's)")
    String master;

    @Option(names = "--conf", paramLabel = "KEY=VALUE", description = "a Spark setting (repeatable)")
    Map<String, String> conf = new java.util.LinkedHashMap<>();

    /** A session on the chosen master (see {@link Sessions#open}). */
    SparkSession open(String appName) {
        return Sessions.open(appName, master, conf);
    }
}
