package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** blt4j spark train as the user runs it: a resume takes the run's --worker-states and refuses another. */
class SparkTrainCommandTest {
    @TempDir
    Path tmp;

    /** Exit code, stderr and stdout of one command run in this JVM. */
    record Run(int code, String err, String out) {}

    static Run run(String... args) {
        StringWriter err = new StringWriter();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true));
            var cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            code = cl.execute(args);
        } finally {
            System.setOut(old);
        }
        return new Run(code, err.toString(), out.toString());
    }

    Run train(Path config, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("spark", "train", "--config", config.toString(), "--out", out.toString(), "--master", "local[2]"));
        a.addAll(List.of(more));
        return run(a.toArray(String[]::new));
    }

    /** The first run's --worker-states is the resume's (it had to be given again: "its state of round 1 is missing"). */
    @Test
    void aResumeKeepsTheRunsWorkerStatesAndRefusesOthers() throws Exception {
        Path data = Files.write(tmp.resolve("sample.txt"), java.util.Arrays.copyOf(TestSpark.gunzip(Path.of("..", "data", "sotu-sample.txt.gz")), 60_000));
        Path config = Files.writeString(tmp.resolve("c.yaml"), """
                model: {args: {dim: 16, n_layers: 1, n_heads: 2, multiple_of: 16, max_seqlen: 32}}
                optim: {lr: 0.01, schedule: constant, warmup: 2}   # the same for 4 steps and for 6: a resume may extend the run
                data: {path: "%s", seq_len: 16, batch_size: 2}
                train: {steps: 4, eval_every: 100, log_every: 1, seed: 3}
                """.formatted(data));
        Path run = tmp.resolve("run"), states = tmp.resolve("states");
        Run r = train(config, run, "--workers", "2", "--inner-steps", "2", "--worker-states", states.toString());
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(Files.exists(states.resolve("workers/w1/round-1.bin")), r.out());
        assertFalse(Files.exists(run.resolve("workers")), r.out());

        r = train(config, run, "--resume", "--steps", "6");   // no --worker-states: the run's
        assertEquals(0, r.code(), r.err() + r.out());
        assertTrue(r.out().contains("worker states in " + states.toUri().toString().replaceAll("/$", "") + "/workers"), r.out());
        assertTrue(Files.exists(states.resolve("workers/w1/round-2.bin")), r.out());
        // the same as a run that never stopped
        Run straight = train(config, tmp.resolve("straight"), "--workers", "2", "--inner-steps", "2", "--steps", "6",
                "--worker-states", tmp.resolve("states2").toString());
        assertEquals(0, straight.code(), straight.err() + straight.out());
        assertArrayEquals(Files.readAllBytes(tmp.resolve("straight/step-000006/model.safetensors")),
                Files.readAllBytes(run.resolve("step-000006/model.safetensors")));

        for (String other : new String[] {tmp.resolve("elsewhere").toString(), run.toString()}) {
            r = train(config, run, "--resume", "--steps", "8", "--worker-states", other);
            assertEquals(2, r.code(), r.err() + r.out());
            assertTrue(r.err().startsWith("blt4j: ") && r.err().contains("the run keeps them in " + states), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
        assertTrue(Files.readString(run.resolve("latest")).strip().equals("step-000006"));
    }
}
