package org.blt4j.spark;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.blt4j.Blt4jException;

/**
 * Spark sessions for blt4j's jobs: embedded {@code local[*]} unless a master is given, quiet logs, no web UI. A
 * {@code spark://} master is first checked with a plain TCP connection, so a URL that does not answer is one line in
 * seconds rather than Spark's minute of retries.
 */
public final class Sessions {
    /** The default master: embedded, one task slot per core. */
    public static final String LOCAL = "local[*]";

    private Sessions() {}

    /** A session on {@code master} (null: {@link #LOCAL}, or spark.master when spark-submit set it) with extra conf. */
    public static SparkSession open(String appName, String master, Map<String, String> conf) {
        String submitted = System.getProperty("spark.master");
        String m = master != null ? master : submitted != null ? submitted : LOCAL;
        checkMaster(m);
        SparkSession.Builder b = SparkSession.builder().appName(appName).master(m)
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .config("spark.sql.parquet.compression.codec", "zstd");
        // embedded: the driver on the loopback address, whatever the host name resolves to
        if (System.getenv("SPARK_LOCAL_IP") == null && m.startsWith("local")) b.config("spark.driver.host", "127.0.0.1");
        conf.forEach(b::config);
        try {
            return b.getOrCreate();
        } catch (Exception e) {
            throw new Blt4jException("cannot start Spark on master " + m + ": " + Errors.oneLine(e), e);
        }
    }

    /** local[N], local[*], local[N,F], local[*,F] (Spark's forms): N threads (* one per core), F attempts per task. */
    private static final java.util.regex.Pattern LOCAL_N = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(?:\\s*,\\s*(\\d+))?]");

    /**
     * Refuses a master URL Spark does not know, a local[N] with no threads (Spark's own refusal comes with its stack
     * trace), and a spark://host:port that does not accept a connection.
     */
    static void checkMaster(String master) {
        if (master.equals("local") || master.equals("yarn") || master.startsWith("k8s://")) return;
        if (master.startsWith("local[")) {
            java.util.regex.Matcher m = LOCAL_N.matcher(master);
            if (!m.matches() || !atLeastOne(m.group(1)) || m.group(2) != null && !atLeastOne(m.group(2)))
                throw new Blt4jException("--master " + master + ": give local[N] with N >= 1 threads, local[*] (one per core),"
                        + " or local[N,F] / local[*,F] with F >= 1 attempts per task");
            return;
        }
        if (!master.startsWith("spark://"))
            throw new Blt4jException("--master " + master + ": give local[N], spark://HOST:PORT, yarn or k8s://URL");
        for (String hostPort : master.substring("spark://".length()).split(",")) {
            URI u;
            try {
                u = new URI("spark://" + hostPort);
            } catch (java.net.URISyntaxException e) {
                throw new Blt4jException("--master " + master + ": not a URL (" + e.getMessage() + ")");
            }
            if (u.getHost() == null || u.getPort() < 0)
                throw new Blt4jException("--master " + master + ": give spark://HOST:PORT");
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(u.getHost(), u.getPort()), 5000);
                return;    // one answering master of a list is enough
            } catch (IOException e) {
                if (!master.contains(","))
                    throw new Blt4jException("--master " + master + " does not answer (" + e.getMessage()
                            + "): start the master (sbin/start-master.sh) or check the host and port");
            }
        }
        throw new Blt4jException("--master " + master + ": no master in the list answers");
    }

    /** "*", or a whole number from 1 to 2^31 - 1. */
    private static boolean atLeastOne(String n) {
        if (n.equals("*")) return true;
        try {
            return Integer.parseInt(n) >= 1;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
