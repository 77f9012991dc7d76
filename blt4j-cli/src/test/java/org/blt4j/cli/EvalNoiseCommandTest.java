package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** eval-noise and eval on every kind of model: the byte LM, the BLT (golden test models) and a token LM run. */
class EvalNoiseCommandTest {
    static final String SAMPLE = "../data/sotu-sample.txt.gz";
    static final String GOLDEN = "../testdata/golden/";

    @TempDir
    Path tmp;

    /** Exit code and what the command printed on stdout. */
    record Out(int code, String out, String err) {}

    static Out run(String... args) {
        PrintStream old = System.out;
        var buf = new ByteArrayOutputStream();
        CliErrorsTest.Run r;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            r = CliErrorsTest.run(args);
        } finally {
            System.setOut(old);
        }
        return new Out(r.code(), buf.toString(StandardCharsets.UTF_8), r.err());
    }

    @Test
    void byteLmAndBltGetATableWithEveryNoise() {
        Out o = run("eval-noise", "--model", GOLDEN + "entropy_model_forward", "--data", SAMPLE, "--items", "12", "--where", "context");
        assertEquals(0, o.code(), o.err() + o.out());
        for (String s : new String[] {"clean", "AntSpeak/context", "Drop/context", "RandomCase/context", "Repeat/context",
                "UpperCase/context", "average/context", "12 items"})
            assertTrue(o.out().contains(s), "lacks " + s + ":\n" + o.out());
        assertEquals(9, o.out().lines().count(), o.out());

        o = run("eval-noise", "--model", GOLDEN + "blt_base", "--entropy-model", GOLDEN + "entropy_model_forward", "--data", SAMPLE,
                "--items", "4", "--where", "all");
        assertEquals(0, o.code(), o.err() + o.out());
        assertTrue(o.out().contains("Repeat/candidates") && o.out().contains("average/both"), o.out());
        assertEquals(1 + 1 + 15 + 3 + 1, o.out().lines().count(), o.out());
    }

    /** A text shorter than one row of --seq-len is one row (it was refused as "training data too small"). */
    @Test
    void aBltScoresAShortTextAndNamesSeqLen() throws Exception {
        Path shortText = java.nio.file.Files.writeString(tmp.resolve("short.txt"), "The state of our Union is strong. ".repeat(8));
        String[] m = {"--model", GOLDEN + "blt_base", "--entropy-model", GOLDEN + "entropy_model_forward", "--data", shortText.toString()};
        PrintStream oldErr = System.err;
        var err = new ByteArrayOutputStream();
        Out e;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            e = run(concat(new String[] {"eval"}, m));
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("bits per byte"), e.out());
        // the golden pair patches at ~1.5 bytes against the config's 4.5: the mismatch is pointed out
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("is " + GOLDEN + "entropy_model_forward the entropy model it was trained with?"),
                err.toString(StandardCharsets.UTF_8));
        CliErrorsTest.Run r = CliErrorsTest.run(concat(new String[] {"eval", "--seq-len", "2"}, m));
        CliErrorsTest.assertClear(r, "a BLT row needs at least 2 patches: give --seq-len >= ");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void aTokenLmRunIsEvaluatedAndScored() throws Exception {
        Path data = tmp.resolve("sample.txt");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(SAMPLE)))) {
            Files.write(data, in.readNBytes(60_000));
        }
        Path run = tmp.resolve("token");
        Path cfg = Files.writeString(tmp.resolve("t.yaml"), """
                model: {tokenizer: {train: 300}, args: {dim: 16, n_layers: 1, n_heads: 2, multiple_of: 16, max_seqlen: 32}}
                data: {path: "%s", seq_len: 16, batch_size: 2}
                train: {steps: 2, eval_every: 100, out: "%s"}
                """.formatted(data, run));
        Out t = run("train-token", "--config", cfg.toString());
        assertEquals(0, t.code(), t.err());
        Out e = run("eval", "--model", run.toString(), "--data", data.toString(), "--max-bytes", "5000");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("bits per byte") && e.out().contains("bytes per token") && e.out().contains("rows of 32 tokens"), e.out());
        Out n = run("eval-noise", "--model", run.toString(), "--data", data.toString(), "--heldout-fraction", "0.5", "--items", "5");
        assertEquals(0, n.code(), n.err());
        assertTrue(n.out().contains("UpperCase/both"), n.out());
        // a token LM is no patcher, and its int8 copy would lose its tokenizer (found by a hostile probe)
        CliErrorsTest.assertClear(CliErrorsTest.run("forward", "--model", GOLDEN + "blt_base", "--entropy-model", run.toString(), "hi"),
                "is not a byte-level entropy model");
        CliErrorsTest.assertClear(CliErrorsTest.run("quantize", "--model", run.toString(), "--out", tmp.resolve("q").toString()),
                "is a token LM");
        Out i = run("inspect", run.toString());                              // named for what it is, FLOPs per token
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().startsWith("token LM (LMTransformer over BPE tokens") && i.out().contains("FLOPs per token"), i.out());
        // generate/forward/serve need a BLT: a token LM is named as such (it was "no entropy model found")
        CliErrorsTest.assertClear(CliErrorsTest.run("generate", "--model", run.toString(), "--prompt", "Hello"),
                "is a token LM (it has a tokenizer.txt), not a BLT");
        // a step folder copied without its run: a token LM without its tokenizer, not an entropy model with FLOPs per byte
        Path step = Files.createDirectories(tmp.resolve("lonely"));
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(run.resolve("step-000002").resolve(f), step.resolve(f));
        Out lone = run("inspect", step.toString());
        assertEquals(0, lone.code(), lone.err());
        assertTrue(lone.out().startsWith("token LM without its tokenizer") && !lone.out().contains("FLOPs per byte"), lone.out());
    }

    /**
     * eval's sizes: a --max-bytes near Long.MAX_VALUE scores the whole file (the sum wrapped and 43 KB were read), a byte
     * LM's rows are at most its max_seqlen, and a BLT's --seq-len of 2^31 - 1 is cut to the text (it asked for an
     * array that long).
     */
    @Test
    void evalSizesSaturateAndCap() throws Exception {
        Path data = tmp.resolve("sample.txt");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(SAMPLE)))) {
            Files.write(data, in.readNBytes(200_000));
        }
        String em = GOLDEN + "entropy_model_forward";
        Out all = run("eval", "--model", em, "--data", data.toString(), "--max-bytes", Long.toString(Long.MAX_VALUE));
        assertEquals(0, all.code(), all.err());
        long scored = Long.parseLong(all.out().substring(0, all.out().indexOf(" bytes:")).replace(",", ""));
        assertTrue(scored > 190_000, all.out());
        int maxSeqlen = org.blt4j.model.ModelLoader.args(Path.of(em), org.blt4j.model.LmArgs.class).maxSeqlen();
        Out capped = run("eval", "--model", em, "--data", data.toString(), "--max-bytes", "3000", "--seq-len", "100000");
        assertEquals(0, capped.code(), capped.err());
        assertTrue(capped.out().contains("(rows of " + maxSeqlen + " bytes)"), capped.out());
        Path shortText = Files.writeString(tmp.resolve("short.txt"), "The state of our Union is strong. ".repeat(20));
        Out blt = run("eval", "--model", GOLDEN + "blt_base", "--entropy-model", em, "--data", shortText.toString(),
                "--seq-len", Integer.toString(Integer.MAX_VALUE));
        assertEquals(0, blt.code(), blt.err());
        assertTrue(blt.out().contains("bits per byte"), blt.out());
    }

    @Test
    void badInputsAreOneLine() {
        CliErrorsTest.assertClear(CliErrorsTest.run("eval-noise", "--model", GOLDEN + "blt_base", "--data", SAMPLE, "--items", "3"),
                "--entropy-model");
        CliErrorsTest.assertClear(CliErrorsTest.run("eval-noise", "--model", GOLDEN + "entropy_model_forward", "--data", SAMPLE,
                "--items", "0"), "--items must be at least 1");
        CliErrorsTest.assertClear(CliErrorsTest.run("eval-noise", "--model", GOLDEN + "entropy_model_forward", "--data", SAMPLE,
                "--items", "1000000"), "gives only");
        CliErrorsTest.assertClear(CliErrorsTest.run("eval-noise", "--model", GOLDEN + "entropy_model_forward", "--data", SAMPLE,
                "--where", "middle"), "--where middle: give both, context, candidates or all");
    }

    /** "drop vs clean" is a drop: clean minus noised, positive when noise lowers the accuracy (it printed noised minus clean). */
    @Test
    void dropVsCleanIsCleanMinusNoised() {
        var clean = new org.blt4j.eval.noise.NoiseEval.Condition(null, null);
        var up = new org.blt4j.eval.noise.NoiseEval.Condition(org.blt4j.eval.noise.Noise.UPPER_CASE,
                org.blt4j.eval.noise.NoiseWhere.BOTH);
        var drop = new org.blt4j.eval.noise.NoiseEval.Condition(org.blt4j.eval.noise.Noise.DROP, org.blt4j.eval.noise.NoiseWhere.BOTH);
        String t = EvalNoiseCommand.table(java.util.List.of(
                new org.blt4j.eval.noise.NoiseEval.Result(clean, new org.blt4j.eval.noise.FourWayChoice.Accuracy(6, 10), 2.0),
                new org.blt4j.eval.noise.NoiseEval.Result(up, new org.blt4j.eval.noise.FourWayChoice.Accuracy(2, 10), 3.0),
                new org.blt4j.eval.noise.NoiseEval.Result(drop, new org.blt4j.eval.noise.FourWayChoice.Accuracy(7, 10), 2.5)));
        String upLine = t.lines().filter(l -> l.startsWith("UpperCase/both")).findFirst().orElseThrow();
        String dropLine = t.lines().filter(l -> l.startsWith("Drop/both")).findFirst().orElseThrow();
        String avgLine = t.lines().filter(l -> l.startsWith("average/both")).findFirst().orElseThrow();
        assertTrue(upLine.contains("20.0%") && upLine.contains("+40.0"), t);     // 60% → 20%: a drop of 40 points
        assertTrue(dropLine.contains("70.0%") && dropLine.contains("-10.0"), t); // 60% → 70%: a drop of -10
        assertTrue(avgLine.contains("45.0%") && avgLine.contains("+15.0"), t);
    }
}
