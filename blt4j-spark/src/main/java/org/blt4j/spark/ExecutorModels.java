package org.blt4j.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.blt4j.Blt4jException;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;

/**
 * The entropy model of a job, loaded once per executor JVM (not per task or record) and kept for the JVM's life. A
 * local path ({@code file:} or none) is read in place, its weights memory-mapped where the loader maps them; any other
 * Hadoop URI (hdfs:, s3a:) is copied once into a temporary folder of the executor first.
 */
public final class ExecutorModels {
    private static final ConcurrentHashMap<String, EntropyModel> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {}

    /** The entropy model at {@code uri}, loaded on first use in this JVM. */
    public static EntropyModel entropyModel(String uri) {
        return MODELS.computeIfAbsent(uri, ExecutorModels::load);
    }

    /** How many models this JVM has loaded (a test checks: once per JVM). */
    public static int loads() {
        return LOADS.get();
    }

    private static EntropyModel load(String uri) {
        try {
            java.nio.file.Path dir = localCopy(uri);
            EntropyModel m = ModelLoader.patcherModel(ModelDirs.resolveModel(dir));
            LOADS.incrementAndGet();
            return m;
        } catch (Blt4jException | IOException | IllegalArgumentException e) {
            throw new Blt4jException("entropy model " + uri + " cannot be read on " + where() + ": "
                    + Errors.oneLine(e) + "; give a folder every executor can read (shared or HDFS)", e);
        }
    }

    /** A local folder holding the model: the path itself when it is local, else a copy made once. */
    static java.nio.file.Path localCopy(String uri) throws IOException {
        URI u = URI.create(uri);
        if (u.getScheme() == null || u.getScheme().equals("file")) return u.getScheme() == null ? java.nio.file.Path.of(uri) : java.nio.file.Path.of(u);
        Path src = new Path(uri);
        FileSystem fs = src.getFileSystem(new Configuration());
        java.nio.file.Path tmp = Files.createTempDirectory("blt4j-entropy-model");
        fs.copyToLocalFile(false, src, new Path(tmp.toUri()), true);
        return tmp.resolve(src.getName());
    }

    /** "the driver (HOST)" or "executor N (HOST)". */
    private static String where() {
        org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
        String id = env == null ? "driver" : env.executorId();
        return (id.equals("driver") ? "the driver" : "executor " + id) + " (" + host() + ")";
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "(unknown host)";
        }
    }
}
