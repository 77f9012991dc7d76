package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** train-diloco: a run whose checkpoint eval loads, a resume that extends it, bad options as one-line errors. */
class TrainDiLoCoCommandTest {
    @TempDir
    Path tmp;
    Path data, run, config;

    @BeforeEach
    void sample() throws Exception {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            data = Files.write(tmp.resolve("sample.txt"), in.readNBytes(60_000));
        }
        run = tmp.resolve("run");
        config = Files.writeString(tmp.resolve("c.yaml"), """
                model: {args: {dim: 16, n_layers: 1, n_heads: 2, multiple_of: 16, max_seqlen: 32}}
                optim: {lr: 0.01}
                data: {path: "%s", seq_len: 16, batch_size: 2}
                train: {steps: 4, eval_every: 100, log_every: 1, out: "%s"}
                """.formatted(data, run));
    }

    @Test
    void trainsResumesAndItsCheckpointEvaluates() throws Exception {
        CliErrorsTest.Run r = CliErrorsTest.run("train-diloco", "--config", config.toString(), "--workers", "2", "--inner-steps", "2");
        assertEquals(0, r.code(), r.err());
        assertEquals("step-000004", Files.readString(run.resolve("latest")).strip());
        assertTrue(Files.exists(run.resolve("outer/round-1.bin")));
        assertTrue(Files.exists(run.resolve("workers/w1/round-1.bin")));
        r = CliErrorsTest.run("train-diloco", "--config", config.toString(), "--resume", "--steps", "6"); // the run's own flags
        assertEquals(0, r.code(), r.err());
        assertEquals("step-000006", Files.readString(run.resolve("latest")).strip());
        assertEquals(6, Files.readAllLines(run.resolve("metrics.jsonl")).size());
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--resume", "--steps", "8",
                "--workers", "3"), "it was run with");                   // a flag given that differs is still refused
        r = CliErrorsTest.run("eval", "--model", run.toString(), "--data", data.toString(), "--seq-len", "32", "--max-bytes", "2000");
        assertEquals(0, r.code(), r.err());
        Files.writeString(data, Files.readString(data).toUpperCase());           // other text behind the same path
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--resume", "--steps", "8"),
                "the training data differ from what this run was trained on");
    }

    @Test
    void badOptionsAreOneLineErrors() {
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--workers", "0"), "workers");
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--outer-momentum", "1"), "momentum");
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--resume"), "nothing to resume in");
        CliErrorsTest.assertClear(CliErrorsTest.run("train-diloco", "--config", config.toString(), "--workers", "1000"), "no document");
    }
}
