package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.blt4j.Blt4jException;
import org.blt4j.api.Blt;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.Json;
import org.blt4j.io.ModelDirs;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * testdata/reference-layout (scripts/make-pth-fixtures.py: golden blt_k4_projection and entropy_model_forward saved by
 * torch as params.json + consolidated.pth, fp32 and bf16) loads to exactly the golden hub parameters.
 */
class ReferenceLayoutTest {
    static final String BLT_CASE = "blt_k4_projection", ENTROPY_CASE = "entropy_model_forward";

    @TempDir
    Path tmp;

    static Path fixture(String name) {
        return org.blt4j.io.ReferenceFixtures.root().resolve(name);
    }

    static Path golden(String name) {
        return GoldenCases.root().resolve(name);
    }

    /** The golden hub checkpoint {@code name}, as is (F32) or rewritten by blt4j's writer as bf16. */
    private Path hub(String name, DType dtype) {
        if (dtype == DType.F32) return golden(name);
        Path out = tmp.resolve(name + "-" + dtype);
        if (!Files.exists(out)) Checkpoint.convert(golden(name), out, dtype);
        return out;
    }

    @Test
    void bltLoadsToTheGoldenHubParametersBitForBit() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Path ref = fixture(dt == DType.F32 ? "blt-fp32" : "blt-bf16");
            assertTrue(ReferenceLayout.isReference(ref));
            ByteLatentTransformer want = ModelLoader.blt(hub(BLT_CASE, dt), false);
            ByteLatentTransformer got = ModelLoader.blt(ref, true);
            assertEquals(want.args(), got.args(), dt + " args");
            assertSameParams(want.params(), got.params(), dt + " BLT");
        }
    }

    /**
     * The entropy model gets what the reference's load_entropy_model builds: window 512, local_block_causal and
     * multiple_of 256 although params.json says 32 / 32; its weights are the golden ones with the FFN zero-padded from
     * 192 to 256 (the script pads so that the reference could load them), bit for bit.
     */
    @Test
    void entropyModelLoadsAsTheReferenceLoaderBuildsIt() throws IOException {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Path ref = fixture(dt == DType.F32 ? "blt-fp32" : "blt-bf16").resolve(ReferenceLayout.ENTROPY_DIR);
            var section = Json.MAPPER.readTree(ref.resolve("params.json").toFile()).get("entropy_model");
            assertEquals(32, section.get("sliding_window").asInt());            // what the file says ...
            assertEquals(32, section.get("multiple_of").asInt());
            EntropyModel got = ModelLoader.entropyModel(ref);
            assertEquals(512, got.args().window());                            // ... and what is loaded
            assertEquals("local_block_causal", got.args().attnBiasType());
            assertEquals(256, got.args().ffnHidden());
            EntropyModel want = ModelLoader.entropyModel(hub(ENTROPY_CASE, dt));
            assertEquals(192, want.args().ffnHidden());
            for (ParamStore.Param p : want.params().params()) {
                float[] g = got.params().data(), w = want.params().data();
                ParamStore.Param q = got.params().get(p.name());
                boolean w2 = p.name().endsWith("feed_forward.w2.weight");
                for (int r = 0; r < q.rows(); r++)
                    for (int c = 0; c < q.cols(); c++) {
                        boolean inGolden = r < p.rows() && c < p.cols();
                        float expect = inGolden ? w[p.offset() + r * p.cols() + c] : 0f;
                        float actual = g[q.offset() + r * q.cols() + c];
                        if (Float.floatToRawIntBits(expect) != Float.floatToRawIntBits(actual))
                            throw new AssertionError(dt + " " + p.name() + "[" + r + "," + c + "]: " + actual + " != " + expect);
                    }
                if (!w2 && q.rows() != p.rows()) assertTrue(p.name().matches(".*feed_forward.w[13].weight"), p.name());
            }
            // the padding changes nothing on a row shorter than either window: same logits as the golden model
            int[] tokens = {1, 76, 105, 118, 105, 110, 103, 36, 109, 111, 114, 101};
            float[] a = want.forward(tokens), b = got.forward(tokens);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-5, dt + " logit " + i);
        }
    }

    @Test
    void entropyArgsIgnoreEverythingButTheSixKeys() throws IOException {
        Path dir = copyOf(fixture("blt-fp32").resolve(ReferenceLayout.ENTROPY_DIR), "em");
        editParams(dir, root -> {
            ObjectNode s = (ObjectNode) root.get("entropy_model");
            s.put("sliding_window", 7).put("attn_bias_type", "causal").put("rope_theta", 123.0).put("norm_eps", 0.5);
        });
        LmArgs a = ModelLoader.entropyModel(dir).args();
        assertEquals(512, a.window());
        assertEquals("local_block_causal", a.attnBiasType());
        assertEquals(10000.0, a.ropeTheta());
        assertEquals(1e-5, a.normEps());
        editParams(dir, root -> ((ObjectNode) root.get("entropy_model")).remove("n_heads"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(dir));
        assertTrue(e.getMessage().contains("entropy_model.n_heads is missing") && e.getMessage().contains(dir.resolve("params.json").toString()),
                e.getMessage());
        editParams(dir, root -> root.remove("entropy_model"));
        e = assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(dir));
        assertTrue(e.getMessage().contains("no \"entropy_model\" object"), e.getMessage());
    }

    @Test
    void bltParamsJsonErrorsNameTheFileAndField() throws IOException {
        Path dir = copyOf(fixture("blt-fp32"), "blt");
        Path params = dir.resolve("params.json");
        editParams(dir, root -> ((ObjectNode) root.get("data").get("patcher_args")).put("threshold", 2.5));
        assertEquals(2.5, ModelLoader.blt(dir, false).args().patchingThreshold());   // the reference patches with data.patcher_args
        editParams(dir, root -> ((ObjectNode) root.get("model")).put("norm_type", "layernorm"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false));
        assertTrue(e.getMessage().contains("norm_type") && e.getMessage().contains("params.json"), e.getMessage());
        editParams(dir, root -> ((ObjectNode) root.get("model")).put("norm_type", "rmsnorm").remove("dim_global"));
        e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false));
        assertTrue(e.getMessage().contains("dim_global") && e.getMessage().contains(params.toString()), e.getMessage());
        editParams(dir, root -> root.remove("model"));
        e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false));
        assertTrue(e.getMessage().contains("no \"model\" object") && e.getMessage().contains(params.toString()), e.getMessage());
        Files.delete(dir.resolve("consolidated.pth"));
        e = assertThrows(Blt4jException.class, () -> ReferenceLayout.weightsFile(dir));
        assertTrue(e.getMessage().contains("no consolidated.pth in " + dir), e.getMessage());
    }

    @Test
    void wrongWeightsAreRefused() throws IOException {
        Path dir = copyOf(fixture("blt-fp32"), "blt");
        Files.copy(fixture("blt-fp32/entropy_model/consolidated.pth"), dir.resolve("consolidated.pth"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false));
        assertTrue(e.getMessage().contains("has no tensor 'local_encoder"), e.getMessage());
        Path em = fixture("malicious-global");
        e = assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(em));
        assertTrue(e.getMessage().contains("'os.system'"), e.getMessage());
    }

    @Test
    void convertsToHubBitForBitWithItsEntropyModel() {
        for (DType dt : new DType[] {DType.F32, DType.BF16}) {
            Path ref = fixture(dt == DType.F32 ? "blt-fp32" : "blt-bf16"), out = tmp.resolve("hub-" + dt);
            ReferenceLayout.toHub(ref, out);
            assertEquals(Checkpoint.readArgs(golden(BLT_CASE), BltArgs.class), Checkpoint.readArgs(out, BltArgs.class));
            assertSameTensors(hub(BLT_CASE, dt), out, dt);
            Path em = out.resolve(ReferenceLayout.ENTROPY_DIR);
            assertEquals(ModelLoader.entropyModel(ref.resolve(ReferenceLayout.ENTROPY_DIR)).args(), Checkpoint.readArgs(em, LmArgs.class));
            assertSameParams(ModelLoader.entropyModel(ref.resolve(ReferenceLayout.ENTROPY_DIR)).params(),
                    ModelLoader.entropyModel(em).params(), dt + " entropy model");
            Blt4jException e = assertThrows(Blt4jException.class, () -> ReferenceLayout.toHub(ref, out));
            assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        }
    }

    /** Blt.load(dir) finds entropy_model/ beside params.json and computes what the converted hub folder does. */
    @Test
    void apiLoadsAReferenceFolder() {
        Path ref = fixture("blt-fp32"), hubDir = tmp.resolve("hub");
        ReferenceLayout.toHub(ref, hubDir);
        String text = "The quick brown fox";
        try (Blt a = Blt.load(ref); Blt b = Blt.load(hubDir)) {
            assertEquals(b.bitsPerByte(text), a.bitsPerByte(text));
            assertArrayEquals(b.patch(text).lengths(), a.patch(text).lengths());
            assertArrayEquals(b.patch(text).entropies(), a.patch(text).entropies());
        }
    }

    /**
     * facebook/blt's snapshot puts entropy_model/ beside blt_1b/ (demo.py): Blt.load finds it, convert takes it along,
     * and the entropy model folder converts alone.
     */
    @Test
    void siblingEntropyModelAsInTheReleasedSnapshot() throws IOException {
        Path snap = Files.createDirectory(tmp.resolve("hf-weights"));
        Path blt = copyOf(fixture("blt-bf16"), "hf-weights/blt_1b");
        Files.move(blt.resolve(ReferenceLayout.ENTROPY_DIR), snap.resolve(ReferenceLayout.ENTROPY_DIR));
        assertEquals(snap.resolve(ReferenceLayout.ENTROPY_DIR).toAbsolutePath().normalize(), ReferenceLayout.entropyDirOf(blt));
        ReferenceLayout.toHub(blt, tmp.resolve("hub"));
        assertSameTensors(hub(BLT_CASE, DType.BF16), tmp.resolve("hub"), "BLT");
        ReferenceLayout.toHub(snap.resolve(ReferenceLayout.ENTROPY_DIR), tmp.resolve("hub-em"));
        assertSameTensors(tmp.resolve("hub/entropy_model"), tmp.resolve("hub-em"), "entropy model");
        assertEquals(Checkpoint.rawArgs(tmp.resolve("hub/entropy_model")), Checkpoint.rawArgs(tmp.resolve("hub-em")));
        try (Blt a = Blt.load(blt)) {
            assertTrue(a.bitsPerByte("sibling") > 0);
        }
    }

    @Test
    void aFolderInNoLayoutIsOneClearError() throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("nothing"));
        Files.writeString(dir.resolve("weights.bin"), "x");
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelDirs.resolveModel(dir));
        for (String s : new String[] {dir.toString(), "config.json", "model.safetensors", "params.json", "consolidated.pth"})
            assertTrue(e.getMessage().contains(s), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false));
        for (String s : new String[] {dir.toString(), "config.json", "params.json", "consolidated.pth"})
            assertTrue(e.getMessage().contains(s), e.getMessage());
    }

    // ---- helpers ----

    private static void assertSameParams(ParamStore want, ParamStore got, String what) {
        for (ParamStore.Param p : want.params()) {
            ParamStore.Param q = got.get(p.name());
            assertArrayEquals(p.shape(), q.shape(), what + " " + p.name());
            float[] a = Arrays.copyOfRange(want.data(), p.offset(), p.offset() + p.numel());
            float[] b = Arrays.copyOfRange(got.data(), q.offset(), q.offset() + q.numel());
            if (!Arrays.equals(a, b)) throw new AssertionError(what + ": " + p.name() + " differs");
        }
        assertEquals(want.params().size(), got.params().size(), what + " parameter count");
    }

    private static void assertSameTensors(Path a, Path b, Object what) {
        try (SafeTensors x = Checkpoint.weights(a); SafeTensors y = Checkpoint.weights(b)) {
            assertEquals(new java.util.TreeSet<>(x.names()), new java.util.TreeSet<>(y.names()), what + " names");
            for (String n : x.names()) {
                assertEquals(x.info(n).dtype(), y.info(n).dtype(), what + " " + n);
                if (!Arrays.equals(x.floats(n), y.floats(n))) throw new AssertionError(what + ": " + n + " differs");
            }
        }
    }

    private Path copyOf(Path src, String name) throws IOException {
        Path dst = tmp.resolve(name);
        try (Stream<Path> s = Files.walk(src)) {
            for (Path p : s.toList()) {
                Path t = dst.resolve(src.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
        return dst;
    }

    private static void editParams(Path dir, Consumer<ObjectNode> edit) throws IOException {
        Path f = dir.resolve("params.json");
        ObjectNode root = (ObjectNode) Json.MAPPER.readTree(f.toFile());
        edit.accept(root);
        Files.write(f, Json.MAPPER.writeValueAsBytes(root));
    }
}
