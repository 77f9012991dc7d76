package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --resume RUN trains into RUN, never into the folder a --config names, and refuses a config that is not RUN's. */
class TrainResumeTest {
    @TempDir
    Path tmp;
    Path data;

    @BeforeEach
    void sample() throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            data = Files.write(tmp.resolve("sample.txt"), in.readNBytes(20_000));
        }
    }

    private Path config(String name, Path out) throws Exception {
        return Files.writeString(tmp.resolve(name), """
                model: {args: {dim: 16, n_layers: 1, n_heads: 2, multiple_of: 16, max_seqlen: 32}}
                optim: {lr: 0.01}
                data: {path: "%s", seq_len: 16, batch_size: 2}
                train: {steps: 2, checkpoint_every: 1, keep: 5, eval_every: 100, log_every: 1, out: "%s"}
                """.formatted(data, out));
    }

    private static void ok(CliErrorsTest.Run r) {
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void resumeTrainsIntoTheResumedRun() throws Exception {
        Path runA = tmp.resolve("a"), runB = tmp.resolve("b");
        Path ca = config("a.yaml", runA), cb = config("b.yaml", runB);
        ok(CliErrorsTest.run("train-entropy", "--config", ca.toString()));
        ok(CliErrorsTest.run("train-entropy", "--config", cb.toString()));
        List<String> metricsB = Files.readAllLines(runB.resolve("metrics.jsonl"));

        // b.yaml differs from a's config only in train.out: allowed, and the run goes on in a
        ok(CliErrorsTest.run("train-entropy", "--config", cb.toString(), "--resume", runA.toString(), "--steps", "4"));
        assertEquals("step-000004", Files.readString(runA.resolve("latest")).strip());
        assertEquals(4, Files.readAllLines(runA.resolve("metrics.jsonl")).size());
        assertEquals("step-000002", Files.readString(runB.resolve("latest")).strip(), "b is left alone");
        assertTrue(Files.isDirectory(runB.resolve("step-000001")), "b's older steps are kept");
        assertFalse(Files.exists(runB.resolve("step-000004")));
        assertEquals(metricsB, Files.readAllLines(runB.resolve("metrics.jsonl")));

        // resumed from a step folder, without --config: into its run folder too
        ok(CliErrorsTest.run("train-entropy", "--resume", runA.resolve("step-000004").toString(), "--steps", "5"));
        assertEquals("step-000005", Files.readString(runA.resolve("latest")).strip());
    }

    @Test
    void aConfigThatIsNotTheRunsIsRefused() throws Exception {
        Path runA = tmp.resolve("a");
        Path ca = config("a.yaml", runA);
        ok(CliErrorsTest.run("train-entropy", "--config", ca.toString()));
        CliErrorsTest.assertClear(CliErrorsTest.run("train-entropy", "--config", ca.toString(), "--resume", runA.toString(),
                "--set", "optim.lr=0.5", "--set", "train.seed=3"), "optim.lr", "train.seed");
        CliErrorsTest.assertClear(CliErrorsTest.run("train-entropy", "--resume", runA.toString(), "--set", "model.args.dim=32"),
                "model.args.dim");
        CliErrorsTest.assertClear(CliErrorsTest.run("train-entropy", "--resume", runA.toString(), "--out",
                tmp.resolve("elsewhere").toString()), "--out");
        assertEquals("step-000002", Files.readString(runA.resolve("latest")).strip());
    }
}
