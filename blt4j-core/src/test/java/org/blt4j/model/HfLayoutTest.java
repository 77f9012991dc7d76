package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.Json;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfLayoutTest {
    @TempDir
    Path tmp;

    static Path entropyOf(GoldenCases.Case c) {
        return c.dir().resolve(c.json().get("entropy_model").asText()).normalize();
    }

    /** hub → HF → hub gives the same args and the same tensor bytes, for every BLT golden case and its entropy model. */
    @Test
    void goldenRoundTripIsBitIdentical() {
        List<GoldenCases.Case> cases = GoldenCases.ofKind("blt");
        assertTrue(cases.size() >= 3, "BLT golden cases under " + GoldenCases.root());
        for (GoldenCases.Case c : cases) {
            Path hf = tmp.resolve(c.name() + "-hf"), back = tmp.resolve(c.name() + "-hub");
            HfLayout.toHf(c.dir(), entropyOf(c), hf);
            BltArgs a = Checkpoint.readArgs(c.dir(), BltArgs.class);
            LmArgs e = Checkpoint.readArgs(entropyOf(c), LmArgs.class);
            try (SafeTensors st = SafeTensors.open(hf.resolve(Checkpoint.WEIGHTS))) {
                assertEquals(shapes(HfLayout.hfSpecs(a, e)), shapes(st), c.name() + ": HF tensors");
                assertTrue(st.contains("lm_head.weight") && st.contains(HfLayout.HASH), c.name());
            }
            HfLayout.toHub(hf, back);
            assertEquals(Checkpoint.rawArgs(c.dir()), Checkpoint.rawArgs(back), c.name() + ": args");
            assertSameTensors(c.dir(), back, c.name());
            Path eBack = back.resolve(HfLayout.ENTROPY_DIR);
            assertEquals(Checkpoint.rawArgs(entropyOf(c)), Checkpoint.rawArgs(eBack), c.name() + ": entropy args");
            assertSameTensors(entropyOf(c), eBack, c.name() + " entropy model");
        }
    }

    /** The fused hash table holds table t at rows t*Vh..: row r of table 3 is row 3*Vh+r of the fused one. */
    @Test
    void hashTablesFuseInTableOrder() {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), null, hf);
        BltArgs a = Checkpoint.readArgs(c.dir(), BltArgs.class);
        int v = a.encoderHashByteGroupVocab(), d = a.dimLocalEncoder();
        try (SafeTensors src = Checkpoint.weights(c.dir()); SafeTensors dst = SafeTensors.open(hf.resolve(Checkpoint.WEIGHTS))) {
            float[] t3 = src.floats("encoder_hash_tok_embedding.3.weight");
            float[] fused = dst.floats(HfLayout.HASH);
            assertEquals((long) a.numHashTables() * v * d, fused.length);
            assertTrue(Arrays.equals(t3, Arrays.copyOfRange(fused, 3 * v * d, 4 * v * d)));
            assertTrue(Arrays.equals(src.floats("local_decoder.output.weight"), dst.floats("lm_head.weight")));
            assertTrue(Arrays.equals(src.floats("local_encoder.layers.0.feed_forward.w1.weight"),
                    dst.floats("model.local_encoder.layers.0.mlp.gate_proj.weight")));
            assertTrue(!dst.names().stream().anyMatch(n -> n.startsWith(HfLayout.PATCHER)));
        }
        JsonNode cfg = Json.MAPPER.valueToTree(read(hf.resolve(Checkpoint.CONFIG)));
        assertEquals(false, cfg.get("patch_in_forward").asBoolean());
        assertEquals(a.dimLocalEncoder(), cfg.get("encoder_config").get("hidden_size").asInt());
        assertEquals(a.ffnHidden(a.dimGlobal()), cfg.get("global_config").get("intermediate_size").asInt());
    }

    /** Without blt4j_args the hub args are rebuilt from the HF fields alone, and the weights load. */
    @Test
    void plainHfConfigGivesLoadableArgs() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), entropyOf(c), hf);
        ObjectNode cfg = read(hf.resolve(Checkpoint.CONFIG));
        cfg.remove(HfConfig.CARRY);
        ((ObjectNode) cfg.get("patcher_config")).remove(HfConfig.CARRY);
        Files.write(hf.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsBytes(cfg));
        Path back = tmp.resolve("hub");
        HfLayout.toHub(hf, back);
        BltArgs want = Checkpoint.readArgs(c.dir(), BltArgs.class), got = Checkpoint.readArgs(back, BltArgs.class);
        assertEquals(shapes(ByteLatentTransformer.specs(want)), shapes(ByteLatentTransformer.specs(got)));
        assertEquals(want.ropeTheta(), got.ropeTheta());
        assertEquals(AttnBiasType.CAUSAL, got.attnBiasType());
        assertEquals(Integer.MAX_VALUE, got.localWindow());
        ModelLoader.blt(back, false);
        ModelLoader.entropyModel(back.resolve(HfLayout.ENTROPY_DIR));
        assertSameTensors(c.dir(), back, "weights");
    }

    /** ModelLoader.blt on an HF folder converts in memory and gives the golden logits, for every BLT golden case. */
    @Test
    void hfFolderLoadsDirectlyWithGoldenLogits() {
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            Path hf = tmp.resolve(c.name() + "-hf");
            HfLayout.toHf(c.dir(), entropyOf(c), hf);
            for (boolean mapped : new boolean[] {true, false}) {
                ByteLatentTransformer m = ModelLoader.blt(hf, mapped);
                assertEquals(Checkpoint.readArgs(c.dir(), BltArgs.class), m.args(), c.name());
                int[][] tokens = GoldenCases.ints2(c.json().get("tokens"));
                int[][] lengths = GoldenCases.ints2(c.json().get("patch_lengths"));
                try (SafeTensors exp = SafeTensors.open(c.dir().resolve("expected.safetensors"))) {
                    float[] logits = exp.floats("logits");
                    int V = m.args().vocabSize();
                    for (int b = 0; b < tokens.length; b++)
                        ForwardGoldenTest.assertClose(logits, b * tokens[b].length * V, m.forward(tokens[b], lengths[b]),
                                c.json().path("atol_logits").asDouble(1e-4), c.name() + " (HF layout) logits row " + b);
                }
            }
        }
    }

    @Test
    void unknownOrUnsupportedHfFieldsAreRefused() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), null, hf);
        ObjectNode good = read(hf.resolve(Checkpoint.CONFIG));
        good.remove(HfConfig.CARRY);
        String[][] bad = {{"", "foo_bar", "1", "unknown field 'foo_bar'"},
                {"encoder_config", "hidden_act", "\"gelu\"", "'encoder_config.hidden_act' = \"gelu\" is not supported"},
                {"global_config", "rope_scaling", "{\"rope_type\":\"llama3\"}", "'global_config.rope_scaling'"},
                {"decoder_config", "num_key_value_heads", "1", "'decoder_config.num_key_value_heads' = 1"},
                {"global_config", "intermediate_size", "7", "'global_config.intermediate_size' = 7"},
                {"", "tie_word_embeddings", "true", "'tie_word_embeddings' = true"},
                {"", "patching_mode", "\"bogus\"", "patching_mode"},
                // the stacks share one eps: the encoder's sets it, the other that differs is named with the reason
                {"encoder_config", "rms_norm_eps", "1e-6", "'decoder_config.rms_norm_eps' = 1.0E-5 is not supported: blt4j's encoder,"
                        + " decoder and global stacks share one value, taken from encoder_config.rms_norm_eps = 1.0E-6"},
                {"encoder_config", "rms_norm_eps", "-1", "'encoder_config.rms_norm_eps' = -1.0 is not supported: it must be a finite number > 0"}};
        int i = 0;
        for (String[] b : bad) {
            ObjectNode cfg = good.deepCopy();
            ObjectNode where = b[0].isEmpty() ? cfg : (ObjectNode) cfg.get(b[0]);
            where.set(b[1], Json.MAPPER.readTree(b[2]));
            Path dir = Files.createDirectory(tmp.resolve("bad" + i++));
            Files.write(dir.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsBytes(cfg));
            Files.copy(hf.resolve(Checkpoint.WEIGHTS), dir.resolve(Checkpoint.WEIGHTS));
            Blt4jException e = assertThrows(Blt4jException.class, () -> HfLayout.toHub(dir, tmp.resolve("out")));
            assertTrue(e.getMessage().contains(b[3]) && e.getMessage().contains(dir.resolve(Checkpoint.CONFIG).toString())
                    && !e.getMessage().contains("\n"), b[1] + ": " + e.getMessage());
        }
        assertTrue(!Files.exists(tmp.resolve("out")));
        // carried args and an edited HF field disagree: refused, naming the field
        ObjectNode edited = read(hf.resolve(Checkpoint.CONFIG));
        ((ObjectNode) edited.get("decoder_config")).put("num_hidden_layers", 7);
        Files.write(hf.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsBytes(edited));
        Blt4jException e = assertThrows(Blt4jException.class, () -> HfLayout.toHub(hf, tmp.resolve("out")));
        assertTrue(e.getMessage().contains("'decoder_config.num_hidden_layers'"), e.getMessage());
    }

    /**
     * Found by a hostile probe: with blt4j_args the HF checks were skipped (only the fields blt4j writes were compared),
     * a blt4j_args that is no object was ignored, and a hash size list given as a string threw a ClassCastException.
     */
    @Test
    void hfChecksRunWithOrWithoutCarriedArgs() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), entropyOf(c), hf);
        ObjectNode carried = read(hf.resolve(Checkpoint.CONFIG)), plain = carried.deepCopy();
        plain.remove(HfConfig.CARRY);
        ((ObjectNode) plain.get("patcher_config")).remove(HfConfig.CARRY);
        // {where, field, value, expected in the message, with blt4j_args and without (y), with only (c), without only (n)}
        String[][] bad = {{"", "rope_scaling", "{\"rope_type\":\"dynamic\",\"factor\":4.0}", "'rope_scaling'", "y"},
                {"", "pm_size", "8", "'pm_size' = 8", "y"},
                {"global_config", "encoder_cross_output_size", "7", "'global_config.encoder_cross_output_size' = 7", "y"},
                {"global_config", "head_dim", "64", "'global_config.head_dim' = 64", "y"},
                {"encoder_config", "head_dim", "8", "'encoder_config.head_dim' = 8", "y"},
                {"patcher_config", "head_dim", "7", "'patcher_config.head_dim' = 7", "y"},
                {"", "encoder_hash_byte_group_size", "\"3,4,5,6\"", "'encoder_hash_byte_group_size'", "y"},
                {"", "encoder_hash_byte_group_size", "[3, \"4\"]", "'encoder_hash_byte_group_size[1]'", "n"},
                {"", "max_patch_length", "-5", "max_patch_length", "n"},
                {"", "patcher_config", "\"small\"", "'patcher_config' must be an object", "y"},
                {"", "eos_token_id", "5", "'eos_token_id' is 5 but blt4j_args implies 2", "c"},
                {"", "eos_token_id", "[2]", "'eos_token_id' must be an integer", "y"},
                {"", "eos_token_id", "99999", "'eos_token_id' = 99999", "n"},
                {"", HfConfig.CARRY, "[1]", "'blt4j_args' must be an object", "n"},
                {"patcher_config", HfConfig.CARRY, "[1]", "'patcher_config.blt4j_args' must be an object", "n"}};
        int i = 0;
        for (String[] b : bad)
            for (ObjectNode good : switch (b[4]) {
                case "y" -> List.of(carried, plain);
                case "c" -> List.of(carried);
                default -> List.of(plain);
            }) {
                ObjectNode cfg = good.deepCopy();
                ObjectNode where = b[0].isEmpty() ? cfg : (ObjectNode) cfg.get(b[0]);
                where.set(b[1], Json.MAPPER.readTree(b[2]));
                Path dir = Files.createDirectory(tmp.resolve("bad" + i++));
                Files.write(dir.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsBytes(cfg));
                Files.copy(hf.resolve(Checkpoint.WEIGHTS), dir.resolve(Checkpoint.WEIGHTS));
                String what = b[1] + "=" + b[2] + (good == carried ? " with " : " without ") + HfConfig.CARRY;
                Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(dir, true), what);
                assertTrue(e.getMessage().contains(b[3]) && e.getMessage().contains(dir.resolve(Checkpoint.CONFIG).toString())
                        && !e.getMessage().contains("\n"), what + ": " + e.getMessage());
            }
        // the values BltConfig itself would hold are accepted
        for (ObjectNode good : List.of(carried, plain)) {
            ObjectNode cfg = good.deepCopy();
            ObjectNode g = (ObjectNode) cfg.get("global_config");
            g.put("head_dim", g.get("hidden_size").asInt() / g.get("num_attention_heads").asInt());
            int cross = cfg.get("encoder_config").get("hidden_size").asInt() * cfg.get("cross_attn_k").asInt();
            if (cross == g.get("hidden_size").asInt()) g.putNull("encoder_cross_output_size");
            else g.put("encoder_cross_output_size", cross);
            cfg.put("eos_token_id", 2);
            Path dir = Files.createDirectory(tmp.resolve("ok" + i++));
            Files.write(dir.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsBytes(cfg));
            Files.copy(hf.resolve(Checkpoint.WEIGHTS), dir.resolve(Checkpoint.WEIGHTS));
            ModelLoader.blt(dir, true);
        }
    }

    /** Found by a hostile probe: a sharded HF folder, or one whose files are no regular files, read as "no model.safetensors". */
    @Test
    void shardedOrIrregularFilesAreNamedForWhatTheyAre() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), null, hf);
        Path sharded = Files.createDirectory(tmp.resolve("sharded"));
        Files.copy(hf.resolve(Checkpoint.CONFIG), sharded.resolve(Checkpoint.CONFIG));
        Files.writeString(sharded.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        Files.copy(hf.resolve(Checkpoint.WEIGHTS), sharded.resolve("model-00001-of-00001.safetensors"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.blt(sharded, true));
        assertTrue(e.getMessage().contains("sharded checkpoints are not supported"), e.getMessage());
        for (String file : List.of(Checkpoint.WEIGHTS, Checkpoint.CONFIG))
            for (String kind : List.of("folder", "dangling", "loop", "devzero")) {
                if (kind.equals("devzero") && !Files.exists(Path.of("/dev/zero"))) continue;
                Path dir = Files.createDirectory(tmp.resolve(file + "-" + kind));
                for (String f : List.of(Checkpoint.WEIGHTS, Checkpoint.CONFIG))
                    if (!f.equals(file)) Files.copy(hf.resolve(f), dir.resolve(f));
                Path p = dir.resolve(file);
                switch (kind) {
                    case "folder" -> Files.createDirectory(p);
                    case "dangling" -> Files.createSymbolicLink(p, dir.resolve("nothing-here"));
                    case "loop" -> Files.createSymbolicLink(p, p);
                    default -> Files.createSymbolicLink(p, Path.of("/dev/zero"));
                }
                Blt4jException x = assertThrows(Blt4jException.class,
                        () -> ModelLoader.blt(org.blt4j.io.ModelDirs.resolveModel(dir), true), file + " " + kind);
                assertTrue(x.getMessage().contains(p + " exists but is not a regular file"), file + " " + kind + ": " + x.getMessage());
            }
    }

    @Test
    void existingOutputIsRefused() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path out = Files.createDirectory(tmp.resolve("out"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> HfLayout.toHf(c.dir(), null, out));
        assertTrue(e.getMessage().contains("already exists"), e.getMessage());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no staging folder left behind");
        }
    }

    /**
     * Every HF name and shape for blt-1b's config (Blt1bBench's args; entropy model 768 wide, 14 layers), written from
     * transformers' modeling_blt.py @015e6876 module tree: BltForCausalLM{model: BltModel{local_encoder,
     * global_transformer, local_decoder, encoder_hash_tok_embedding, patcher}, lm_head}.
     */
    @Test
    void blt1bNamesAndShapesMatchTransformers() {
        Map<String, Object> args = new java.util.LinkedHashMap<>(Map.of("dim_global", 2048, "dim_local_encoder", 1024,
                "dim_local_decoder", 1024, "n_heads_global", 16, "n_heads_local_encoder", 16, "n_heads_local_decoder", 16,
                "n_layers_global", 25, "n_layers_local_encoder", 1, "n_layers_local_decoder", 9, "cross_attn_k", 2));
        args.putAll(Map.of("cross_attn_encoder", true, "cross_attn_decoder", true, "cross_attn_all_layers_decoder", true,
                "cross_attn_init_by_pooling", true, "cross_attn_nheads", 16, "encoder_hash_byte_group_size", List.of(3, 4, 5, 6, 7, 8),
                "encoder_hash_byte_group_vocab", 500002, "multiple_of", 256, "vocab_size", 260));
        BltArgs a = Json.MAPPER.convertValue(args, BltArgs.class);
        LmArgs e = Json.MAPPER.convertValue(Map.of("dim", 768, "n_layers", 14, "n_heads", 12, "vocab_size", 260,
                "multiple_of", 256), LmArgs.class);

        Map<String, List<Integer>> want = new TreeMap<>();
        for (int i = 0; i < 1; i++) layer(want, "model.local_encoder.layers." + i + ".", 1024, 2816);
        want.put("model.local_encoder.patch_embedding_projection.weight", List.of(2048, 1024)); // [hidden*k, hidden]
        want.put("model.local_encoder.embed_tokens.weight", List.of(260, 1024));
        cross(want, "model.local_encoder.cross_attn_layers.0.", 1024);                           // cross_attn_all_layers false
        for (int i = 0; i < 25; i++) layer(want, "model.global_transformer.layers." + i + ".", 2048, 5632);
        // no token_embedding_projection: encoder_cross_output_size 1024*2 == global hidden_size 2048
        for (int i = 0; i < 9; i++) layer(want, "model.local_decoder.layers." + i + ".", 1024, 2816);
        want.put("model.local_decoder.patch_embedding_projection.weight", List.of(2048, 2048)); // [hidden*k, hidden_size_global]
        want.put("model.local_decoder.norm.weight", List.of(1024));
        for (int i = 0; i < 9; i++) cross(want, "model.local_decoder.cross_attn_layers." + i + ".", 1024);
        want.put("model.encoder_hash_tok_embedding.weight", List.of(6 * 500002, 1024));         // [vocab*nb_functions*len(sizes), enc hidden]
        for (int i = 0; i < 14; i++) layer(want, "model.patcher.layers." + i + ".", 768, 2048);
        want.put("model.patcher.embed_tokens.weight", List.of(260, 768));
        want.put("model.patcher.norm.weight", List.of(768));
        want.put("model.patcher.lm_head.weight", List.of(260, 768));
        want.put("lm_head.weight", List.of(260, 1024));                                          // [decoder hidden → vocab]

        assertEquals(want, shapes(HfLayout.hfSpecs(a, e)));
        assertEquals(9 + 2 + 6 + 25 * 9 + 9 * 9 + 2 + 9 * 6 + 1 + 14 * 9 + 3 + 1, want.size());
        JsonNode cfg = HfConfig.toHf(Json.MAPPER.valueToTree(args), Json.MAPPER.valueToTree(Map.of("dim", 768, "n_layers", 14,
                "n_heads", 12, "vocab_size", 260, "multiple_of", 256)), Path.of("blt-1b/config.json"));
        assertEquals(2816, cfg.at("/encoder_config/intermediate_size").asInt());              // itazap/blt-1b-hf's widths
        assertEquals(2816, cfg.at("/decoder_config/intermediate_size").asInt());
        assertEquals(5632, cfg.at("/global_config/intermediate_size").asInt());
        assertEquals(2048, cfg.at("/patcher_config/intermediate_size").asInt());
        assertEquals(2048, cfg.at("/encoder_config/hidden_size_global").asInt());
        assertTrue(cfg.get("patch_in_forward").asBoolean() && cfg.at("/decoder_config/cross_attn_all_layers").asBoolean()
                && !cfg.at("/encoder_config/cross_attn_all_layers").asBoolean());
        for (ParamStore.Spec s : ByteLatentTransformer.specs(a))        // names map back
            assertEquals(s.name(), HfLayout.toHubName(HfLayout.toHfName(s.name())));
    }

    /** BltTransformerLayer: self_attn {q,k,v,o}_proj (kv heads = heads), mlp {gate,up,down}_proj, two RMSNorms. */
    private static void layer(Map<String, List<Integer>> m, String p, int d, int inter) {
        for (String x : new String[] {"q", "k", "v", "o"}) m.put(p + "self_attn." + x + "_proj.weight", List.of(d, d));
        m.put(p + "mlp.gate_proj.weight", List.of(inter, d));
        m.put(p + "mlp.up_proj.weight", List.of(inter, d));
        m.put(p + "mlp.down_proj.weight", List.of(d, inter));
        m.put(p + "input_layernorm.weight", List.of(d));
        m.put(p + "post_attention_layernorm.weight", List.of(d));
    }

    /** BltCrossAttention: {q,k,v,o}_proj, q_norm, k_norm. */
    private static void cross(Map<String, List<Integer>> m, String p, int d) {
        for (String x : new String[] {"q", "k", "v", "o"}) m.put(p + x + "_proj.weight", List.of(d, d));
        m.put(p + "q_norm.weight", List.of(d));
        m.put(p + "k_norm.weight", List.of(d));
    }

    static Map<String, List<Integer>> shapes(List<ParamStore.Spec> specs) {
        Map<String, List<Integer>> m = new TreeMap<>();
        for (ParamStore.Spec s : specs) m.put(s.name(), Arrays.stream(s.shape()).boxed().toList());
        return m;
    }

    static Map<String, List<Integer>> shapes(SafeTensors st) {
        Map<String, List<Integer>> m = new TreeMap<>();
        for (String n : st.names()) m.put(n, Arrays.stream(st.info(n).shape()).mapToInt(Math::toIntExact).boxed().toList());
        return m;
    }

    static void assertSameTensors(Path a, Path b, String what) {
        try (SafeTensors x = Checkpoint.weights(a); SafeTensors y = Checkpoint.weights(b)) {
            assertEquals(new java.util.TreeSet<>(x.names()), new java.util.TreeSet<>(y.names()), what + ": names");
            for (String n : x.names()) {
                assertEquals(x.info(n).dtype(), y.info(n).dtype(), what + ": " + n);
                assertTrue(Arrays.equals(x.info(n).shape(), y.info(n).shape()), what + ": " + n);
                MemorySegment sx = x.segment(n), sy = y.segment(n);
                assertEquals(-1, sx.mismatch(sy), what + ": bytes of " + n);
            }
        }
    }

    static ObjectNode read(Path f) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(f.toFile());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
