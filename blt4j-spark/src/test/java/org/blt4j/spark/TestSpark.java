package org.blt4j.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;
import org.blt4j.data.Corpus;

/** One embedded Spark session for the module's tests: local[2,2] (2 task slots; a failed task is tried twice). */
final class TestSpark {
    private static SparkSession session;

    private TestSpark() {}

    static synchronized SparkSession session() {
        if (session == null || session.sparkContext().isStopped()) {   // a command run in a test stops the session it got
            session = Sessions.open("blt4j tests", "local[2,2]", Map.of("spark.sql.shuffle.partitions", "4"));
            Runtime.getRuntime().addShutdownHook(new Thread(() -> session.stop()));
        }
        return session;
    }

    /** The golden entropy model (dim 64, 2 layers, window 32): a committed fixture. */
    static Path entropyModel() {
        return Path.of("..", "testdata", "golden", "entropy_model_forward").toAbsolutePath().normalize();
    }

    /** The bundled corpus sample's first documents holding at least {@code bytes} bytes, as a text file cut at blank lines. */
    static Path corpusPrefix(Path dir, long bytes) {
        try {
            List<byte[]> docs = Corpus.readPrefix(Path.of("..", "data", "sotu-sample.txt.gz"), bytes);
            Path f = dir.resolve("corpus.txt");
            try (var out = Files.newOutputStream(f)) {
                for (byte[] d : docs) {
                    out.write(d);
                    out.write("\n\n".getBytes());
                }
            }
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] gunzip(Path p) throws IOException {
        try (var in = new GZIPInputStream(Files.newInputStream(p))) {
            return in.readAllBytes();
        }
    }
}
