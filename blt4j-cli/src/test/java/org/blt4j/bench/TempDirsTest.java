package org.blt4j.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bench's temporary folder goes when the bench ends and when its JVM is stopped by a signal (found left: 4.6 GB). */
class TempDirsTest {
    @TempDir
    Path tmp;

    /** The child: makes a folder with a file in it, says where, then waits to be killed. */
    public static void main(String[] a) throws Exception {
        Path d = TempDirs.create(Path.of(a[0]), "blt4j-test-");
        Files.writeString(d.resolve("weights.bin"), "x".repeat(1000));
        System.out.println(d);
        System.out.flush();
        Thread.sleep(60_000);
    }

    @Test
    void deletedAtTheEndAndOnASignal() throws Exception {
        Path d = TempDirs.create(tmp, "blt4j-test-");
        Files.writeString(d.resolve("f"), "x");
        TempDirs.delete(d);
        assertFalse(Files.exists(d));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), TempDirsTest.class.getName(), tmp.toString())
                .redirectErrorStream(true).start();
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String line;
        while ((line = out.readLine()) != null && !line.contains("blt4j-test-")) { } // JVM warnings first
        if (line == null) throw new AssertionError("the child printed no folder");
        Path child = Path.of(line.strip());
        assertTrue(Files.exists(child.resolve("weights.bin")));
        p.destroy();                                      // SIGTERM, as Ctrl-C's shutdown and timeout send
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(child), "the folder is gone after the signal");
    }
}
