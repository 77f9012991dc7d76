package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** blt4j spark patch's options, checked before Spark starts: one line each, naming the flag. */
class SparkPatchCommandTest {
    @TempDir
    Path tmp;

    PatchJob.Options options(String... flags) {
        List<String> a = new ArrayList<>(List.of(tmp.resolve("in.txt").toString(), "--out", tmp.resolve("out.parquet").toString()));
        a.addAll(List.of(flags));
        CommandLine cl = new CommandLine(new SparkPatchCommand());
        cl.parseArgs(a.toArray(String[]::new));
        return ((SparkPatchCommand) cl.getCommand()).options();
    }

    String refusal(String... flags) {
        return assertThrows(Blt4jException.class, () -> options(flags), String.join(" ", flags)).getMessage();
    }

    /** --mode static took the auto target 4.5 as its length (and said only "give --patch-size N"). */
    @Test
    void staticModeNeedsItsPatchSize() {
        assertTrue(refusal("--mode", "static").contains("--mode static needs --patch-size N"));
        assertTrue(refusal("--mode", "static", "--patch-size", "4.5").contains("whole number of bytes: give --patch-size N, 1 <= N <= 2147483647"));
        assertTrue(refusal("--mode", "static", "--patch-size", "3e9").contains("1 <= N <= 2147483647, got 3.0E9"));
        assertEquals(6.0, options("--mode", "static", "--patch-size", "6").patching().patchSize());
        assertEquals(4.5, options("--mode", "space").patching().patchSize());
    }

    /** A --patch-size below 1 made --threshold auto the lowest sampled entropy: a patch per byte, without a word. */
    @Test
    void aPatchSizeBelowOneIsRefusedInEveryMode() {
        for (String mode : List.of("entropy", "static", "space", "byte"))
            for (String p : List.of("0.5", "0", "-2", "NaN", "Infinity")) {
                String m = refusal("--mode", mode, "--entropy-model", tmp.toString(), "--patch-size", p);
                assertTrue(m.startsWith("--patch-size must be a finite number of bytes >= 1, got "), mode + " " + p + ": " + m);
            }
        PatchJob.Options o = options("--entropy-model", tmp.toString(), "--patch-size", "1");
        assertTrue(o.autoThreshold());
        assertEquals(1.0, o.patching().patchSize());
    }

    /** local[0] was Spark's refusal, its stack trace printed before the one-line error. */
    @Test
    void aLocalMasterWithoutThreadsIsOneLineBeforeSparkStarts() {
        var err = new java.io.StringWriter();
        CommandLine cl = org.blt4j.cli.Main.commandLine();
        cl.setErr(new java.io.PrintWriter(err, true));
        int code = cl.execute("spark", "patch", tmp.resolve("in.txt").toString(), "--out", tmp.resolve("out.parquet").toString(),
                "--mode", "byte", "--master", "local[0]");
        assertEquals(2, code, err.toString());
        assertEquals("blt4j: --master local[0]: give local[N] with N >= 1 threads, local[*] (one per core), or local[N,F] / local[*,F]"
                + " with F >= 1 attempts per task", err.toString().strip());
        assertFalse(err.toString().contains("\tat "));
    }
}
