package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.eval.QuantizedAccuracy;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.SafeTensors;
import org.blt4j.io.SafeTensorsWriter;
import org.blt4j.io.TensorData;
import org.blt4j.nn.Linear;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Int8Matrix;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * int8 checkpoints (docs/int8.md) of the golden models: what the quantizer writes, that they load mapped and stay
 * close to fp32, and that a broken one gets one clear error naming the file and the tensor or field.
 */
class Int8CheckpointTest {
    @TempDir
    static Path tmp;

    static final GoldenCases.Case CASE = GoldenCases.ofKind("blt").getFirst();
    static Path blt, em, bltQ, emQ;

    @BeforeAll
    static void quantize() {
        blt = CASE.dir();
        em = CASE.dir().resolve(CASE.json().get("entropy_model").asText()).normalize();
        bltQ = tmp.resolve("blt-int8");
        emQ = tmp.resolve("em-int8");
        Quantizer.quantize(blt, bltQ, Int8Matrix.DEFAULT_BLOCK, null);
        Quantizer.quantize(em, emQ, 32, null);
    }

    /** Linear weights become I8 + F32 scales equal to Int8Matrix.quantize of the source; the rest is copied bit for bit. */
    @Test
    void writesTheDocumentedLayout() {
        assertEquals(new Quantization(Int8Matrix.DEFAULT_BLOCK), Quantization.of(bltQ));
        assertEquals(new Quantization(32), Quantization.of(emQ));
        assertEquals(Checkpoint.rawArgs(blt), Checkpoint.rawArgs(bltQ));
        int quantized = 0;
        try (SafeTensors src = Checkpoint.weights(blt); SafeTensors out = Checkpoint.weights(bltQ)) {
            for (ParamStore.Spec s : Quantization.specs(blt)) {
                if (!Quantization.quantizes(s)) {
                    assertEquals(src.info(s.name()).dtype(), out.info(s.name()).dtype());
                    assertEquals(-1, src.segment(s.name()).mismatch(out.segment(s.name())), s.name());
                    continue;
                }
                quantized++;
                int n = s.shape()[0], k = s.shape()[1];
                Int8Matrix want = Int8Matrix.quantize(src.floats(s.name()), n, k, Int8Matrix.DEFAULT_BLOCK);
                assertEquals(DType.I8, out.info(s.name()).dtype());
                assertEquals(-1, want.q().mismatch(out.segment(s.name())), s.name());
                assertArrayEquals(new long[] {n, (k + 63) / 64}, out.info(s.name() + Quantization.SCALES).shape());
                float[] scales = out.floats(s.name() + Quantization.SCALES);
                for (int i = 0; i < scales.length; i++) assertEquals(want.scale(i / want.blocksPerRow(), i % want.blocksPerRow()), scales[i]);
            }
            assertTrue(quantized >= 10, "the BLT's linear weights are quantized");
            assertEquals(src.names().size() + quantized, out.names().size());
            assertTrue(src.info("encoder_hash_tok_embedding.0.weight").dtype() == out.info("encoder_hash_tok_embedding.0.weight").dtype());
        }
        assertTrue(ModelLoader.verify(bltQ).contains("int8 (block 64)"), ModelLoader.verify(bltQ));
    }

    /** Loaded mapped: logits and entropies near fp32, bits per byte within 1% and the same patch boundaries almost everywhere. */
    @Test
    void staysCloseToFp32() {
        ByteLatentTransformer b = ModelLoader.blt(blt, true), bq = ModelLoader.blt(bltQ, true);
        EntropyModel e = ModelLoader.entropyModel(em), eq = ModelLoader.entropyModel(emQ);
        assertEquals(0, b.params().int8Count());
        assertTrue(bq.params().int8Count() > 0 && eq.params().int8Count() > 0, "int8 weights in use");
        assertTrue(bq.params().size() < b.params().size() / 2, "int8 weights are not on the heap");
        int[] tokens = GoldenCases.ints2(CASE.json().get("tokens"))[0];
        int[] lengths = GoldenCases.ints2(CASE.json().get("patch_lengths"))[0];
        float[] l = b.forward(tokens, lengths), lq = bq.forward(tokens, lengths);
        double err = 0, norm = 0;   // relative L2 error of the logits
        for (int i = 0; i < l.length; i++) {
            err += (l[i] - lq[i]) * (double) (l[i] - lq[i]);
            norm += l[i] * (double) l[i];
        }
        double rel = Math.sqrt(err / norm);
        assertTrue(rel > 0 && rel < 0.02, "int8 logits differ from fp32 by " + rel + " (relative L2)");

        byte[] text = ("The State of the Union is strong. We have met the challenges of a new century, and the work of "
                + "this Congress will decide whether the economy grows, whether our schools improve, and whether every "
                + "family can count on health care they can afford. ").repeat(4).getBytes(StandardCharsets.UTF_8);
        QuantizedAccuracy.Result r = QuantizedAccuracy.compare(b, e, bq, eq, List.of(text), 256, Long.MAX_VALUE);
        assertEquals(text.length, r.bytes());
        assertTrue(Math.abs(r.bltChange()) < 0.01, "BLT bpb " + r.blt()[0] + " → " + r.blt()[1]);
        assertTrue(Math.abs(r.entropyChange()) < 0.01, "entropy model bpb " + r.entropy()[0] + " → " + r.entropy()[1]);
        assertTrue(r.blt()[0] != r.blt()[1], "the int8 model is a different model");
        assertTrue(r.boundaryAgreement() >= 0.97, "boundaries agree on " + r.boundaryAgreement());
        assertTrue(r.starts() > 10, "patches start in the text");
    }

    /** Linear.forwardMany over int8 layers (the q/k/v projections) gives what each layer gives alone. */
    @Test
    void forwardManyMatchesForward() {
        ParamStore p = ModelLoader.blt(bltQ, true).params();
        String pre = "global_transformer.layers.0.attention.";
        int dim = Checkpoint.readArgs(bltQ, BltArgs.class).dimGlobal();
        Linear[] qkv = {p.linear(pre + "wq.weight", p.get(pre + "wq.weight").rows(), dim),
                p.linear(pre + "wk.weight", p.get(pre + "wk.weight").rows(), dim),
                p.linear(pre + "wv.weight", p.get(pre + "wv.weight").rows(), dim)};
        for (Linear l : qkv) assertTrue(l.int8() != null, "int8 layer");
        int M = 3;
        float[] x = new float[M * dim];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37);
        float[][] y = new float[3][];
        for (int i = 0; i < 3; i++) y[i] = new float[M * qkv[i].out()];
        Linear.forwardMany(qkv, x, 0, M, y);
        for (int i = 0; i < 3; i++) assertArrayEquals(qkv[i].forward(x, M), y[i]);
        assertThrows(Blt4jException.class, () -> qkv[0].backward(x, new float[M * qkv[0].out()], M, null, new float[1]));
    }

    @Test
    void trainingIsRefused() {
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(bltQ, false)), bltQ.toString(), "inference only");
    }

    @Test
    void quantizerRefusals() throws Exception {
        assertMessage(assertThrows(Blt4jException.class, () -> Quantizer.quantize(blt, bltQ, 64, null)), "already exists");
        assertMessage(assertThrows(Blt4jException.class, () -> Quantizer.quantize(bltQ, tmp.resolve("again"), 64, null)),
                "quantization", "already");
        assertFalse(Files.exists(tmp.resolve("again")));
        Path ref = org.blt4j.io.ReferenceFixtures.root().resolve("blt-fp32");
        assertMessage(assertThrows(Blt4jException.class, () -> Quantizer.quantize(ref, tmp.resolve("ref"), 64, null)),
                "reference trainer", "convert --to hub");
        // a NaN in a linear weight and in a norm: refused naming the tensor, nothing written
        for (String t : List.of("local_encoder.layers.0.attention.wq.weight", "local_decoder.norm.weight")) {
            Path poisoned = rewrite("nan-" + t, (name, f) -> { if (name.equals(t)) f[f.length / 2] = Float.NaN; });
            Path out = tmp.resolve("nan-out-" + t);
            assertMessage(assertThrows(Blt4jException.class, () -> Quantizer.quantize(poisoned, out, 64, null)), t, "NaN");
            assertFalse(Files.exists(out), "nothing written");
            try (var s = Files.list(tmp)) {
                assertTrue(s.noneMatch(p -> p.getFileName().toString().contains("nan-out")), "no staging folder left");
            }
        }
    }

    /** Broken int8 folders: each gets one error naming config.json or model.safetensors and the field or tensor. */
    @Test
    void brokenFoldersAreNamed() throws Exception {
        String w = "global_transformer.layers.0.feed_forward.w1.weight";
        Path noScales = copyQuantized("no-scales", c -> {}, name -> !name.equals(w + Quantization.SCALES), Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(noScales, true)), "model.safetensors", w + ".scales");
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.verify(noScales)), w + ".scales");

        Path badShape = copyQuantized("bad-scales", c -> {}, name -> true, Map.of(w + Quantization.SCALES, new long[] {1, -1}));
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(badShape, true)), "model.safetensors", w + ".scales", "F32");

        Path unknown = copyQuantized("unknown-format", c -> ((ObjectNode) c.get(Quantization.KEY)).put("format", "int4"),
                name -> true, Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(unknown, true)), "config.json", "quantization", "format", "int4");
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.verify(unknown)), "quantization", "format");

        Path badBlock = copyQuantized("bad-block", c -> ((ObjectNode) c.get(Quantization.KEY)).put("block", "x"), name -> true, Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(badBlock, true)), "config.json", "quantization", "block");

        Path extra = copyQuantized("extra-field", c -> ((ObjectNode) c.get(Quantization.KEY)).put("zero_point", 0), name -> true, Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(extra, true)), "config.json", "zero_point");

        Path noEntry = copyQuantized("no-entry", c -> c.remove(Quantization.KEY), name -> true, Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(noEntry, true)), "model.safetensors", "I8", "quantization");

        Path emNoScales = copyQuantized(emQ, "em-no-scales", c -> {}, name -> !name.equals("output.weight" + Quantization.SCALES), Map.of());
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(emNoScales)), "model.safetensors", "output.weight.scales");
    }

    // ---- helpers ----

    private static void assertMessage(Blt4jException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "'" + p + "' in: " + e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    /** The fp32 golden BLT rewritten with its values edited. */
    private static Path rewrite(String name, java.util.function.BiConsumer<String, float[]> edit) {
        Map<String, TensorData> w = new LinkedHashMap<>();
        try (SafeTensors st = Checkpoint.weights(blt)) {
            for (String n : st.names()) {
                float[] f = st.floats(n);
                edit.accept(n, f);
                w.put(n, TensorData.of(f, st.info(n).shape()));
            }
        }
        Path dir = tmp.resolve(name.replace('.', '-'));
        Checkpoint.write(dir, Checkpoint.rawArgs(blt), w, DType.F32);
        return dir;
    }

    private static Path copyQuantized(String name, Consumer<ObjectNode> config, java.util.function.Predicate<String> keep,
                                      Map<String, long[]> reshape) {
        return copyQuantized(bltQ, name, config, keep, reshape);
    }

    /** A copy of an int8 folder with its config edited, tensors dropped, or a tensor given another shape (same bytes). */
    private static Path copyQuantized(Path src, String name, Consumer<ObjectNode> config, java.util.function.Predicate<String> keep,
                                      Map<String, long[]> reshape) {
        ObjectNode c = Checkpoint.rawConfig(src).deepCopy();
        config.accept(c);
        Path dir = tmp.resolve(name);
        try (SafeTensors st = Checkpoint.weights(src)) {
            SafeTensorsWriter wr = new SafeTensorsWriter(DType.F32);
            for (String n : st.names()) {
                if (!keep.test(n)) continue;
                long[] shape = st.info(n).shape();
                if (reshape.containsKey(n)) shape = new long[] {reshape.get(n)[0], shape[0] * shape[1]};
                wr.add(n, TensorData.lazy((s, d, o, k) -> st.readFloats(n, s, d, o, k), shape), st.info(n).dtype());
            }
            Checkpoint.writeNew(dir, c, wr);
        }
        return dir;
    }
}
