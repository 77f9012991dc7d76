package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Bad input on the command line gets one clear line (exit 2), never a stack trace. */
class CliErrorsTest {
    @TempDir
    Path tmp;

    record Run(int code, String err) {}

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        cl.setOut(new PrintWriter(new StringWriter()));
        int code = cl.execute(args);
        return new Run(code, err.toString());
    }

    static void assertClear(Run r, String... parts) {
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().startsWith("blt4j: "), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String p : parts) assertTrue(r.err().contains(p), "'" + r.err() + "' lacks '" + p + "'");
    }

    private Path config(String dataPath) throws Exception {
        Path c = tmp.resolve("c.yaml");
        Files.writeString(c, """
                model: {args: {dim: 16, n_layers: 1, n_heads: 2, multiple_of: 16}}
                data: {path: "%s", seq_len: 16, batch_size: 2}
                train: {steps: 2, out: "%s"}
                """.formatted(dataPath, tmp.resolve("run")));
        return c;
    }

    @Test
    void missingEmptyAndBinaryData() throws Exception {
        assertClear(run("train-entropy", "--config", config(tmp.resolve("nope.txt").toString()).toString()), "nope.txt");
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "");
        assertClear(run("train-entropy", "--config", config(empty.toString()).toString()), "empty.txt");
        Path bin = Files.write(tmp.resolve("data.bin"), new byte[] {0, 1, 2, 0, (byte) 0xff, 0, 0, 7, 0, 0, 0, 0});
        assertClear(run("train-entropy", "--config", config(bin.toString()).toString()), "data.bin", "binary");
        assertClear(run("eval", "--model", tmp.toString(), "--data", tmp.resolve("nope.txt").toString()));
    }

    @Test
    void fileThatIsAFolderAndStaticWithoutAWholeSize() throws Exception {
        String em = org.blt4j.server.TestModels.goldenRoot().resolve("entropy_model_forward").toString();
        assertClear(run("patch", "--entropy-model", em, "--file", tmp.toString()), "is a folder");
        assertClear(run("generate", "--model", tmp.toString(), "--entropy-model", em, "--file", tmp.toString()), "is a folder");
        Path text = Files.writeString(tmp.resolve("t.txt"), "hello");
        assertClear(run("patch", "--mode", "static", "--file", text.toString()), "--patch-size");
    }

    @Test
    void configThatDoesNotParse() throws Exception {
        Path c = Files.writeString(tmp.resolve("bad.yaml"), "model: {args: [unclosed\n");
        assertClear(run("train-entropy", "--config", c.toString()), "bad.yaml", "parse");
        Path j = Files.writeString(tmp.resolve("bad.json"), "{\"model\": ");
        assertClear(run("train", "--config", j.toString()), "bad.json");
        Path unknown = Files.writeString(tmp.resolve("u.yaml"), "model: {args: {dim: 8, n_layers: 1, n_heads: 2}}\ndata: {path: x}\nspeed: fast\n");
        assertClear(run("train-entropy", "--config", unknown.toString()), "speed");
        assertClear(run("train-entropy", "--config", tmp.resolve("none.yaml").toString()), "none.yaml");
    }

    /** Out-of-range numbers for serve get one line naming the flag (an invalid port was a stack trace). */
    @Test
    void serveNumbersOutOfRange() {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        String[] models = {"serve", "--model", golden.resolve("blt_base").toString(), "--entropy-model",
                golden.resolve("entropy_model_forward").toString()};
        for (String[] bad : new String[][] {{"--port", "-1"}, {"--port", "99999"}, {"--max-concurrent", "2000000000"},
                {"--max-queued", "2000000000"}, {"--http-threads", "2000000000"}, {"--max-concurrent", "0"},
                {"--queue-timeout", "NaN"}, {"--time-limit", "0"}, {"--max-batch", "0"}, {"--max-batch", "100000"}}) {
            String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(models), java.util.Arrays.stream(bad)).toArray(String[]::new);
            assertClear(run(args), bad[0]);
        }
        // an address this machine cannot listen on (TEST-NET-3, RFC 5737): one line naming the flags, not the bare OS error
        String[] unbindable = java.util.stream.Stream.concat(java.util.Arrays.stream(models), java.util.stream.Stream.of("--host", "203.0.113.7")).toArray(String[]::new);
        assertClear(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(60), () -> run(unbindable)),
                "203.0.113.7", "--host");
        // bench serve shares the model and admission options (mixins) and so their checks
        for (String[] bad : new String[][] {{"--max-concurrent", "0"}, {"--max-queued", "-1"}, {"--max-concurrent", "2000000000"}}) {
            String[] args = java.util.stream.Stream.of(new String[] {"bench"}, models, bad).flatMap(java.util.Arrays::stream).toArray(String[]::new);
            assertClear(run(args), bad[0]);
        }
    }

    /** inspect describes only weights that load: a corrupt, truncated or mismatched model.safetensors exits 2. */
    @Test
    void inspectChecksTheWeights() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot().resolve("blt_base");
        byte[] good = Files.readAllBytes(golden.resolve("model.safetensors"));
        assertEquals(0, run("inspect", golden.toString()).code());
        byte[][] bad = {"not a safetensors file at all".getBytes(), java.util.Arrays.copyOf(good, good.length - 100)};
        for (int i = 0; i < bad.length; i++) {
            Path dir = Files.createDirectories(tmp.resolve("bad" + i));
            Files.copy(golden.resolve("config.json"), dir.resolve("config.json"));
            Files.write(dir.resolve("model.safetensors"), bad[i]);
            assertClear(run("inspect", dir.toString()), "model.safetensors");
        }
        Path other = Files.createDirectories(tmp.resolve("other"));   // the entropy model's weights under the BLT's config
        Files.copy(golden.resolve("config.json"), other.resolve("config.json"));
        Files.copy(golden.resolveSibling("entropy_model_forward").resolve("model.safetensors"), other.resolve("model.safetensors"));
        assertClear(run("inspect", other.toString()), "model.safetensors");
    }

    /** Config values found by a hostile probe: each refused at once, naming the key (they trained, then lost the run, or crashed). */
    @Test
    void trainingConfigValuesOutOfRange() throws Exception {
        Path data = Files.writeString(tmp.resolve("d.txt"), "Some text to train on. ".repeat(200));
        String c = config(data.toString()).toString();
        assertClear(run("train-entropy", "--config", c, "--set", "train.minutes=Infinity"), "train.minutes must be a finite number > 0");
        assertClear(run("train-entropy", "--config", c, "--set", "data.seq_len=2147483647"), "data.seq_len must be in [2, ");
        assertClear(run("train-entropy", "--config", c, "--set", "model.args.head_dim=0"), "head_dim 0 must be even and >= 2");
        assertClear(run("train-entropy", "--config", c, "--set", "model.args.dim=16.5"), "field 'dim'", "16.5");
        assertClear(run("train-entropy", "--config", c, "--set", "model.args.attn_bias_type=bogus"), "attn_bias_type 'bogus' is not supported");
        assertClear(run("train-entropy", "--config", c, "--set", "train.eval_bytes=-5"), "train.eval_bytes must be >= 1");
        Path file = Files.writeString(tmp.resolve("out-file"), "x");
        assertClear(run("train-entropy", "--config", c, "--out", file.toString()), "is a file: give --out a folder");
        assertEquals("x", Files.readString(file));
    }

    /** Finite weights whose logits overflow (as a finite but huge int8 scale gives): forward printed "bits per byte NaN", exit 0. */
    @Test
    void forwardRefusesNonFiniteLogProbabilities() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        Path src = golden.resolve("blt_base"), dir = tmp.resolve("huge");
        java.util.Map<String, org.blt4j.io.TensorData> w = new java.util.LinkedHashMap<>();
        try (var st = org.blt4j.io.Checkpoint.weights(src)) {
            for (String n : st.names()) {
                float[] f = st.floats(n);
                if (n.equals("local_decoder.output.weight")) for (int i = 0; i < f.length; i++) f[i] = i % 2 == 0 ? 3e38f : -3e38f;
                w.put(n, org.blt4j.io.TensorData.of(f, st.info(n).shape()));
            }
        }
        org.blt4j.io.Checkpoint.write(dir, org.blt4j.io.Checkpoint.rawArgs(src), w, org.blt4j.io.DType.F32);
        assertClear(run("forward", "--model", dir.toString(), "--entropy-model", golden.resolve("entropy_model_forward").toString(), "Hello"),
                "non-finite log-probabilities");
    }

    /** plot on values no axis can hold (ran out of heap after 100 s) and a NaN reference (drew nothing, exit 0). */
    @Test
    void plotRefusesValuesItCannotDraw() throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run-huge"));
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\":1,\"train_bpb\":1.7e308}\n{\"step\":2,\"train_bpb\":2.0}\n");
        assertClear(run("plot", run.toString()), "cannot plot values from");
        Path ok = Files.createDirectories(tmp.resolve("run-ok"));
        Files.writeString(ok.resolve("metrics.jsonl"), "{\"step\":1,\"train_bpb\":3.0}\n{\"step\":2,\"train_bpb\":2.0}\n");
        assertClear(run("plot", ok.toString(), "--reference", "NaN"), "--reference NaN is not a finite number");
        assertEquals(0, run("plot", ok.toString()).code());
        assertClear(run("plot", ok.resolve("metrics.jsonl").toString()), "is a file: give the run folder");
    }

    /** Flags checked before any slow work: non-finite durations, a file as a folder, swapped models (a hostile probe's finds). */
    @Test
    void benchAndDemoFlagsAreCheckedFirst() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        String blt = golden.resolve("blt_base").toString(), em = golden.resolve("entropy_model_forward").toString();
        assertClear(run("bench", "int8", "--seconds", "Infinity"), "--seconds must be a finite number > 0");
        assertClear(run("bench", "int8", "--seconds", "NaN"), "--seconds must be a finite number > 0");
        assertClear(run("bench", "int8", "--tmp", tmp.resolve("nowhere").toString()), "is not a folder");
        assertClear(run("bench", "batch", "--model", tmp.resolve("nowhere").toString()), "must hold the folders blt/ and entropy/");
        assertClear(run("bench", "int8-accuracy", "--model", em, "--entropy-model", blt), "holds an entropy model, not a BLT");
        assertClear(run("bench", "int8-accuracy", "--model", blt, "--entropy-model", em, "--heldout-fraction", "1.5"),
                "--heldout-fraction must be in (0, 1)");
        assertClear(run("demo", "--blt-minutes", "Infinity"), "must be in (0, 10080.0]");
        Run seed = run("generate", "--model", blt, "--prompt", "hi", "--seed", "99999999999999999999");
        assertEquals(2, seed.code());
        assertTrue(seed.err().contains("'99999999999999999999' is not a 64-bit integer"), seed.err());
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertClear(run("demo", "--out", file.toString()), "is a file: give a folder");
        assertClear(run("bpe-train", "--data", file.toString(), "--out", file.toString(), "--vocab", "300"), "is the corpus (--data)");
        Path other = Files.writeString(tmp.resolve("ranks"), "keep");
        assertClear(run("bpe-train", "--data", file.toString(), "--out", other.toString(), "--vocab", "300"), "exists: give a new file name");
        assertEquals("keep", Files.readString(other));
        assertEquals("x", Files.readString(file));
    }

    @Test
    void modelFoldersAndFlags() {
        assertClear(run("patch", "--entropy-model", tmp.resolve("nowhere").toString(), "hi"), "nowhere");
        assertClear(run("patch", "--mode", "entropy", "hi"), "--entropy-model");
        assertClear(run("patch", "--mode", "wordpiece", "hi"), "wordpiece");
        assertClear(run("inspect", tmp.toString()), "config.json");
        Run r = run("patch", "--max-patch-length", "abc", "hi");
        assertEquals(2, r.code(), "picocli rejects a non-number: " + r.err());
    }

    /** A systematic sweep of every command's numeric and path flags: what it found. */
    @Test
    void flagSweepFinds() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        String blt = golden.resolve("blt_base").toString(), em = golden.resolve("entropy_model_forward").toString();
        // a flag that does not parse: one line naming it, not the error and then the whole usage (44 lines for generate)
        assertClear(run("generate", "--model", blt, "--top-k", "2.5", "--prompt", "hi"), "--top-k", "'2.5' is not an int", "--help");
        assertClear(run("patch", "--frob", "hi"), "Unknown option: '--frob'");
        // an empty path was "." (demo --out "" wrote its runs into the current folder, train --out "" into runs/run)
        assertClear(run("quantize", "--model", blt, "--out", ""), "--out", "an empty path");
        assertClear(run("train-entropy", "--config", config("x.txt").toString(), "--out", ""), "--out", "an empty path");
        // a FIFO as a corpus waited for a writer forever; /dev/zero as one was read, 2 GB of it, before anything was said
        Path fifo = tmp.resolve("fifo");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        java.time.Duration limit = java.time.Duration.ofSeconds(60);
        assertClear(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit, () -> run("eval", "--model", blt,
                "--entropy-model", em, "--data", fifo.toString())), "is not a regular file");
        assertClear(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit, () -> run("bpe-train", "--data", "/dev/zero",
                "--out", tmp.resolve("ranks").toString())), "is not a regular file");
        // study --notes FIFO waited forever; --report naming a file was refused only once every arm had trained
        Path study = Path.of("..", "studies", "quick.yaml").toAbsolutePath().normalize(), out = tmp.resolve("study");
        assertClear(org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit, () -> run("study", "--config", study.toString(),
                "--out", out.toString(), "--notes", fifo.toString())), "--notes", "not a regular file");
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        assertClear(run("study", "--config", study.toString(), "--out", out.toString(), "--report", file.toString()), "is a file", "--report");
        assertTrue(!Files.exists(out), "nothing trained, no run folder");
        // eval --seq-len past the BLT's context: one row of the whole text, quadratic, for hours; now its context, as for a byte LM
        Path text = Files.writeString(tmp.resolve("t.txt"), "Some text to score, in a few sentences. ".repeat(400));
        assertEquals(0, org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(limit, () -> run("eval", "--model", blt,
                "--entropy-model", em, "--data", text.toString(), "--max-bytes", "2000", "--seq-len", "2147483647")).code());
        // stack traces: 2^31 rows overflowed an array size, 1e308 s a Duration
        assertClear(run("bench", "int8", "--m", "2147483647"), "--m 2147483647", "[1, 4096]");
        assertClear(run("bench", "serve", "--model", blt, "--entropy-model", em, "--seconds", "1e308"), "--seconds", "(0, 86400]");
        // DiLoCo: 2^31 workers ran out of memory; more workers than documents failed only after a round of the others
        Path data = Files.writeString(tmp.resolve("d.txt"), "One document.\n\nAnother one.\n\nA third.\n");
        Path run = tmp.resolve("run");
        assertClear(run("train-diloco", "--config", config(data.toString()).toString(), "--workers", "2147483647"), "get no document", "--workers");
        assertTrue(!Files.exists(run), "no run folder left behind");
    }
}
