package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.PatchingMode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Spark standalone cluster of separate JVMs on 127.0.0.1, started from the Maven jars alone: a master, a worker (which
 * launches its executor JVMs), and the driver as a third JVM running {@code blt4j spark patch --master spark://...}. Its
 * dataset equals the embedded mode's.
 *
 * <p>What the worker needs without a Spark installation (docs/spark.md): SPARK_HOME pointing at a folder with an empty
 * RELEASE file and a jars/ folder (the worker builds executor class paths from it; without it the executor launch
 * fails with "Cannot find any build directories"), SPARK_SCALA_VERSION=2.13, and the executor class path and JVM
 * flags (the Vector API module) given as spark.executor.extraClassPath / extraJavaOptions.
 */
class StandaloneClusterTest {
    @TempDir
    static Path tmp;
    static final List<Process> daemons = new ArrayList<>();
    static int port;
    static String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    static String cp = System.getProperty("java.class.path");

    @BeforeAll
    static void startCluster() throws Exception {
        port = freePort();
        Path home = Files.createDirectories(tmp.resolve("spark-home/jars"));
        Files.writeString(tmp.resolve("spark-home/RELEASE"), "");
        Path masterLog = tmp.resolve("master.log"), workerLog = tmp.resolve("worker.log");
        // the daemons log at INFO (the module's own log4j2.properties, on this class path, says WARN)
        Path log4j = tmp.resolve("log4j2-daemons.properties");
        Files.writeString(log4j, "rootLogger.level = info\nrootLogger.appenderRef.stderr.ref = console\nappender.console.type = Console\n"
                + "appender.console.name = console\nappender.console.layout.type = PatternLayout\nappender.console.layout.pattern = %p %c{1}: %m%n\n");
        String logConf = "-Dlog4j2.configurationFile=" + log4j.toUri();
        daemons.add(start(List.of(javaBin, logConf, "-cp", cp, "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                "" + port, "--webui-port", "" + freePort()), Map.of(), masterLog));
        waitFor(masterLog, "Starting Spark master", 60);
        daemons.add(start(List.of(javaBin, logConf, "-cp", cp, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1", "--webui-port",
                        "" + freePort(), "--cores", "2", "--memory", "2g", "--work-dir", tmp.resolve("work").toString(), "spark://127.0.0.1:" + port),
                Map.of("SPARK_HOME", home.getParent().toString(), "SPARK_SCALA_VERSION", "2.13"), workerLog));
        waitFor(masterLog, "Registering worker", 60);
    }

    @AfterAll
    static void stopCluster() {
        for (Process p : daemons) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    @Test
    void thePatchJobOnAStandaloneClusterEqualsLocalMode() throws Exception {
        Path corpus = TestSpark.corpusPrefix(tmp, 60_000);
        Path remote = tmp.resolve("cluster.parquet"), local = tmp.resolve("local.parquet");
        Path driverLog = tmp.resolve("driver.log");
        Process driver = start(List.of(javaBin, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                        "-cp", cp, "org.blt4j.cli.Main", "spark", "patch", corpus.toString(), "--out", remote.toString(),
                        "--entropy-model", TestSpark.entropyModel().toString(), "--threshold", "2.0",
                        "--master", "spark://127.0.0.1:" + port,
                        "--conf", "spark.executor.extraClassPath=" + cp,
                        "--conf", "spark.executor.extraJavaOptions=--add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED",
                        "--conf", "spark.executor.memory=1g", "--conf", "spark.driver.host=127.0.0.1"),
                Map.of(), driverLog);
        if (!driver.waitFor(240, TimeUnit.SECONDS)) {
            driver.destroyForcibly();
            fail("the driver did not finish in 240 s:\n" + tail(driverLog));
        }
        assertEquals(0, driver.exitValue(), tail(driverLog));
        String out = Files.readString(driverLog);
        assertTrue(out.contains("master spark://127.0.0.1:" + port), out);
        // the executors ran in their own JVMs, launched by the worker
        String worker = Files.readString(tmp.resolve("worker.log"));
        assertTrue(worker.contains("Asked to launch executor"), "the worker launched no executor:\n" + tail(tmp.resolve("worker.log")));
        PatchJob.run(TestSpark.session(), new PatchJob.Options(List.of(corpus.toString()), local.toString(), TestSpark.entropyModel().toString(),
                new PatcherArgs(PatchingMode.ENTROPY, 2.0, null, false, null, 4.5), false, 1, 0, false, -1), new PrintStream(new ByteArrayOutputStream()));
        List<Row> a = TestSpark.session().read().parquet(local.toString()).orderBy("id").collectAsList();
        List<Row> b = TestSpark.session().read().parquet(remote.toString()).orderBy("id").collectAsList();
        assertEquals(a.size(), b.size());
        assertTrue(a.size() >= 2);
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).getLong(0), b.get(i).getLong(0));
            assertArrayEquals((byte[]) a.get(i).get(2), (byte[]) b.get(i).get(2), "bytes of " + i);
            assertArrayEquals((byte[]) a.get(i).get(3), (byte[]) b.get(i).get(3), "entropies of " + i);
            assertEquals(a.get(i).getList(4), b.get(i).getList(4), "patch lengths of " + i);
        }
    }

    static Process start(List<String> cmd, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("SPARK_LOCAL_IP", "127.0.0.1");
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().putAll(env);
        return pb.start();
    }

    static void waitFor(Path log, String line, int seconds) throws Exception {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (Files.exists(log) && Files.readString(log).contains(line)) return;
            Thread.sleep(200);
        }
        fail("no '" + line + "' in " + log + " after " + seconds + " s:\n" + tail(log));
    }

    static String tail(Path log) throws IOException {
        if (!Files.exists(log)) return "(no log)";
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
