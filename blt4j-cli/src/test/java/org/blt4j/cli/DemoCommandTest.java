package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's main command, run twice in one folder: the second run replaces the first (training alone refuses to). */
class DemoCommandTest {
    @TempDir
    Path tmp;

    String demo() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int rc;
        try {
            System.setOut(new PrintStream(out, true));
            rc = Main.commandLine().execute("demo", "--entropy-minutes", "0.03", "--blt-minutes", "0.03", "--out", tmp.toString());
        } finally {
            System.setOut(old);
        }
        assertEquals(0, rc, out.toString());
        return out.toString();
    }

    @Test
    void runsTwiceInTheSameFolder() throws Exception {
        String first = demo();
        assertTrue(!first.contains("replacing the previous demo run"), first);
        List<String> metrics = Files.readAllLines(tmp.resolve("entropy/metrics.jsonl"));
        String second = demo();
        assertTrue(second.contains("replacing the previous demo run in " + tmp), second);
        assertTrue(second.contains("done in"), second);
        // a fresh run: its log starts at its own first steps, not after the first run's
        List<String> again = Files.readAllLines(tmp.resolve("entropy/metrics.jsonl"));
        long last = 0;
        for (String line : again) {
            long step = org.blt4j.io.Json.MAPPER.readTree(line).path("step").asLong();
            assertTrue(step > last, "steps rise through the whole log (the first run's lines are gone): " + again);
            last = step;
        }
        assertTrue(org.blt4j.io.Json.MAPPER.readTree(again.getFirst()).path("step").asLong() <= 10, again.getFirst());
        assertTrue(!metrics.isEmpty());
        assertTrue(Files.isRegularFile(tmp.resolve("blt/latest")));
        // while a demo holds --out (here: this process holds its lock), another is refused before it deletes anything
        try (org.blt4j.run.RunFiles.Lock held = org.blt4j.run.RunFiles.lock(tmp)) {
            CliErrorsTest.assertClear(CliErrorsTest.run("demo", "--entropy-minutes", "0.03", "--blt-minutes", "0.03", "--out",
                    tmp.toString()), "is in use by another demo");
        }
        assertTrue(Files.isRegularFile(tmp.resolve("blt/latest")), "the running demo's runs are kept");
    }
}
