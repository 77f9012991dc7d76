package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.SafeTensors;
import org.blt4j.io.TensorData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints that do not fit their config get a clear error naming the folder and the tensor. */
class ModelLoaderTest {
    @TempDir
    Path tmp;

    private final GoldenCases.Case blt = GoldenCases.ofKind("blt").getFirst();

    /** Writes the golden BLT with its args edited and/or one tensor dropped or replaced. */
    private Path variant(String name, java.util.function.Consumer<ObjectNode> editArgs, String drop, String reshape) throws Exception {
        ObjectNode args = (ObjectNode) Checkpoint.rawArgs(blt.dir()).deepCopy();
        editArgs.accept(args);
        Map<String, TensorData> w = new LinkedHashMap<>();
        try (SafeTensors st = Checkpoint.weights(blt.dir())) {
            for (String n : st.names()) {
                if (n.equals(drop)) continue;
                float[] f = st.floats(n);
                long[] shape = st.info(n).shape();
                if (n.equals(reshape)) shape = new long[] {shape[0] * shape[1]};
                w.put(n, TensorData.of(f, shape));
            }
        }
        Path dir = tmp.resolve(name);
        Checkpoint.write(dir, args, w, DType.F32);
        return dir;
    }

    private static void assertMessage(Blt4jException e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks '" + p + "'");
    }

    /** Values that would divide by zero or take a NaN root are refused naming the field (found by a hostile probe). */
    @Test
    void outOfRangeNumbersAreRefusedNamingTheField() throws Exception {
        Object[][] cases = {{"multiple_of", 0}, {"norm_eps", -1.0}, {"norm_eps", 0.0}, {"rope_theta", 0.0},
                {"ffn_dim_multiplier", 0.0}, {"eos_id", 100000}, {"eos_id", -1}, {"patch_size", 0.0}, {"vocab_size", 0},
                {"local_attention_window_len", 0}, {"local_attention_window_len", -3}, {"max_encoder_seq_length", 0},
                {"max_encoder_seq_length", -5}, {"dim_global", 64.5}};
        int i = 0;
        for (Object[] c : cases) {
            String field = (String) c[0];
            Path dir = variant("bad" + i++, a -> {
                if (c[1] instanceof Integer n) a.put(field, n);
                else a.put(field, (Double) c[1]);
            }, null, null);
            assertMessage(assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(dir, BltArgs.class)), field);
        }
        Path em = GoldenCases.root().resolve("entropy_model_forward");
        for (Object[] c : new Object[][] {{"n_heads", 0}, {"max_seqlen", 0}, {"multiple_of", 0}, {"norm_eps", -1.0},
                {"sliding_window", 0}, {"sliding_window", -5}, {"head_dim", 0}, {"head_dim", -2}, {"dim", 64.5}}) {
            ObjectNode args = (ObjectNode) Checkpoint.rawArgs(em).deepCopy();
            if (c[1] instanceof Integer n) args.put((String) c[0], n);
            else args.put((String) c[0], (Double) c[1]);
            Path dir = tmp.resolve("em-" + c[0]);
            Checkpoint.write(dir, args, Map.of(), DType.F32);
            assertMessage(assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(dir, LmArgs.class)), (String) c[0]);
        }
    }

    /**
     * Found by a hostile probe: sizes whose int arithmetic wrapped (shapes like [-2147483584, 96]), a 2^31-byte hash
     * n-gram (OutOfMemoryError at every run) and patcher fields that failed only later without a file or a field.
     */
    @Test
    void wrappingSizesAndBadPatcherFieldsAreRefusedNamingTheField() throws Exception {
        Object[][] cases = {{"encoder_hash_byte_group_size", "[3, 4, 5, 2147483647]"}, {"encoder_hash_byte_group_size", "[3, 65]"},
                {"encoder_hash_byte_group_nb_functions", "1073741824"}, {"encoder_hash_byte_group_nb_functions", "-1"},
                {"cross_attn_k", "67108864"}, {"cross_attn_k", "1073741824"}, {"ffn_dim_multiplier", "1e10"},
                {"ffn_dim_multiplier", "1e-10"},
                {"patching_threshold", "\"NaN\""}, {"patching_threshold", "\"Infinity\""},
                {"patching_threshold_add", "\"NaN\""}, {"max_patch_length", "-5"}, {"max_patch_length", "0"}};
        int i = 0;
        for (Object[] c : cases) {
            ObjectNode args = (ObjectNode) Checkpoint.rawArgs(blt.dir()).deepCopy();
            args.set((String) c[0], org.blt4j.io.Json.MAPPER.readTree((String) c[1]));
            Path dir = tmp.resolve("wrap" + i++);
            Checkpoint.write(dir, args, Map.of(), DType.F32);
            Blt4jException e = assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(dir, BltArgs.class), c[0] + " " + c[1]);
            assertMessage(e, (String) c[0], dir.resolve("config.json").toString());
        }
        ObjectNode em = (ObjectNode) Checkpoint.rawArgs(GoldenCases.root().resolve("entropy_model_forward")).deepCopy();
        em.put("ffn_dim_multiplier", 1e10);
        Path dir = tmp.resolve("em-ffn");
        Checkpoint.write(dir, em, Map.of(), DType.F32);
        assertMessage(assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(dir, LmArgs.class)), "ffn_dim_multiplier", "multiple_of");
        // exact: (h + multiple_of - 1) and 8*dim wrapped to 0
        assertEquals(Integer.MAX_VALUE, LmArgs.ffnHidden(128, 1.0, Integer.MAX_VALUE));
        assertEquals(1431655936, LmArgs.ffnHidden(1 << 29, 1.0, 256));
        assertEquals(96, LmArgs.ffnHidden(32, 1.0, 32));
    }

    /** A tensor named "" showed as "tensors the config does not use: []"; names are quoted. */
    @Test
    void unusedTensorNamesAreQuoted() throws Exception {
        Map<String, TensorData> w = new LinkedHashMap<>();
        try (SafeTensors st = Checkpoint.weights(blt.dir())) {
            for (String n : st.names()) w.put(n, TensorData.of(st.floats(n), st.info(n).shape()));
        }
        w.put("", TensorData.of(new float[0], 0));
        Path dir = tmp.resolve("empty-name");
        Checkpoint.write(dir, Checkpoint.rawArgs(blt.dir()), w, DType.F32);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true)), "does not use: ['']");
    }

    /** Found by a hostile probe: a token LM (vocab_size past the byte ids) patched a BLT's input without a word. */
    @Test
    void aTokenLmIsNoPatcher() throws Exception {
        ObjectNode args = (ObjectNode) Checkpoint.rawArgs(GoldenCases.root().resolve("entropy_model_forward")).deepCopy();
        args.put("vocab_size", 1004);
        LmArgs a = org.blt4j.io.Json.MAPPER.treeToValue(args, LmArgs.class);
        Map<String, TensorData> w = new LinkedHashMap<>();
        for (var spec : EntropyModel.specs(a)) {
            long n = 1;
            long[] shape = new long[spec.shape().length];
            for (int i = 0; i < shape.length; i++) n *= shape[i] = spec.shape()[i];
            float[] f = new float[(int) n];
            java.util.Arrays.fill(f, 0.01f);
            w.put(spec.name(), TensorData.of(f, shape));
        }
        Path dir = tmp.resolve("token-lm");
        Checkpoint.write(dir, args, w, DType.F32);
        ModelLoader.entropyModel(dir).close();                         // a model: it loads
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.patcherModel(dir)), "is not a byte-level entropy model",
                "vocab_size is 1004");                                 // but it does not patch
    }

    @Test
    void swappedModelAndEntropyModelAreNamedForWhatTheyAre() {
        Path em = GoldenCases.root().resolve("entropy_model_forward");
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(em, true)), "entropy model", "--entropy-model");
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(blt.dir())), "holds a BLT");
    }

    @Test
    void poolingAndAttnBiasAreCheckedEnums() throws Exception {
        Path pool = variant("pool", a -> a.put("downsampling_by_pooling", "mean"), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(pool, BltArgs.class)),
                "downsampling_by_pooling", "'mean'", "max, avg, min", pool.toString());
        Path bias = variant("bias", a -> a.put("attn_bias_type", "block-causal"), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> Checkpoint.readArgs(bias, BltArgs.class)),
                "attn_bias_type", "'block-causal'", "causal, block_causal, local_block_causal", bias.toString());
        // written back with the hub's keys and values
        BltArgs a = Checkpoint.readArgs(variant("ok", x -> x.put("downsampling_by_pooling", "avg"), null, null), BltArgs.class);
        assertEquals(PoolingMode.AVG, a.downsamplingByPooling());
        var tree = new ObjectMapper().valueToTree(a);
        Path back = tmp.resolve("back");
        Checkpoint.write(back, (ObjectNode) tree, Map.of(), DType.F32);
        assertEquals("avg", Checkpoint.rawArgs(back).get("downsampling_by_pooling").asText());
        assertEquals(Checkpoint.rawArgs(blt.dir()).get("attn_bias_type").asText(),
                Checkpoint.rawArgs(back).get("attn_bias_type").asText());
    }

    @Test
    void missingTensorIsNamed() throws Exception {
        String t = "local_decoder.norm.weight";
        Path dir = variant("missing", a -> {}, t, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true)), t, dir.toString());
    }

    @Test
    void wrongShapeIsNamed() throws Exception {
        String t = "local_encoder.layers.0.attention.wq.weight";
        Path dir = variant("shape", a -> {}, null, t);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, false)), t, "shape");
    }

    @Test
    void configThatDoesNotMatchWeights() throws Exception {
        Path dir = variant("layers", a -> a.put("n_layers_local_decoder", 3), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true)), "local_decoder.layers.2");
        Path dir2 = variant("fewer", a -> a.put("n_layers_global", 1), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir2, true)), "global_transformer.layers.1", "does not use");
    }

    @Test
    void missingRequiredFieldAndMissingWeights() throws Exception {
        Path dir = variant("nofield", a -> a.remove("dim_global"), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true)), "dim_global");
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("config.json"), new ObjectMapper().writeValueAsString(
                Map.of("args", Checkpoint.rawArgs(GoldenCases.ofKind("entropy_model_forward").getFirst().dir()))));
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(empty)), "model.safetensors");
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(tmp.resolve("nowhere"))), "nowhere");
    }

    /** A NaN or an infinity anywhere in the weights, in any stored dtype, is refused at load, naming the tensor. */
    @Test
    void nonFiniteWeightsAreNamed() throws Exception {
        String[] tensors = {"local_decoder.norm.weight", "local_encoder.layers.0.attention.wq.weight",
                "encoder_hash_tok_embedding.1.weight"};   // the last one stays mapped
        float[] poison = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        int k = 0;
        for (DType dtype : List.of(DType.F32, DType.BF16, DType.F16))   // the floating-point types
            for (String t : tensors)
                for (float bad : poison) {
                    Map<String, TensorData> w = new LinkedHashMap<>();
                    try (SafeTensors st = Checkpoint.weights(blt.dir())) {
                        for (String n : st.names()) {
                            float[] f = st.floats(n);
                            if (n.equals(t)) f[(k * 7 + 5) % f.length] = bad;   // first, middle or last bytes of a word
                            w.put(n, TensorData.of(f, st.info(n).shape()));
                        }
                    }
                    Path dir = tmp.resolve("poison-" + k++);
                    Checkpoint.write(dir, Checkpoint.rawArgs(blt.dir()), w, dtype);
                    assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true), dtype + " " + t),
                            t, Float.toString(bad));
                    assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true, true)), t);
                }
    }

    /** A hub config.json whose reference keys ask for a computation blt4j does not implement is refused. */
    @Test
    void referenceKeysBlt4jDoesNotImplement() throws Exception {
        Path layernorm = variant("layernorm", a -> a.put("norm_type", "layernorm"), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(layernorm, true)), "norm_type", "rmsnorm");
        Path tied = variant("tied", a -> a.put("weight_tying", true), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(tied, true)), "weight_tying");
        Path noRope = variant("norope", a -> a.put("use_rope", false), null, null);
        assertMessage(assertThrows(Blt4jException.class, () -> ModelLoader.blt(noRope, true)), "use_rope");
        ModelLoader.blt(variant("training-knobs", a -> a.put("dropout", 0.3).put("attn_impl", "sdpa"), null, null), true);
    }

    @Test
    void badTokensAndPatchLengths() {
        ByteLatentTransformer m = ModelLoader.blt(blt.dir(), true);
        assertMessage(assertThrows(Blt4jException.class, () -> m.forward(new int[] {1, 300}, new int[] {1, 2})), "300");
        assertMessage(assertThrows(Blt4jException.class, () -> m.forward(new int[] {1, 70, 71}, new int[] {1, 1})), "sum");
        assertMessage(assertThrows(Blt4jException.class, () -> m.forward(new int[] {1, 70, 71}, new int[] {2, 2})), "first patch");
    }
}
