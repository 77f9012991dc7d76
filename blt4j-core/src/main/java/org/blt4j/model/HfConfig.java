package org.blt4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;

/**
 * config.json of the Hugging Face layout (transformers' BltConfig with its four sub-configs, docs/hf-layout.md) ↔ the
 * hub layout's "args" (BltArgs, and LmArgs for the patcher). Read from huggingface/transformers
 * src/transformers/models/blt/configuration_blt.py @6e4054ae4d2748051a0080ccb6eebfbcc0848d88 and
 * convert_blt_weights_to_hf.py @180042d9b405b342fbe36841359f137fbf212d43 (merge_configurations).
 *
 * <p>Hub → HF also stores the whole hub args under {@value #CARRY}, so HF → hub gives them back unchanged; the
 * mapped HF fields must then still agree with them. Without it the hub args are rebuilt from the HF fields, with the
 * HF port's semantics (causal masks, no local window), and a field value blt4j does not implement is refused.
 */
public final class HfConfig {
    /** Key of the original hub args inside an HF config written by blt4j. */
    public static final String CARRY = "blt4j_args";

    private HfConfig() {}

    /** HF top-level fields blt4j reads or that do not change the forward pass (PretrainedConfig bookkeeping). */
    private static final Set<String> TOP = Set.of("model_type", "architectures", "vocab_size", "max_position_embeddings",
            "patch_in_forward", "patch_size", "patching_mode", "patching_threshold", "patching_threshold_add",
            "patching_batch_size", "patching_device", "realtime_patching", "max_patch_length", "monotonicity",
            "cross_attn_k", "encoder_hash_byte_group_size", "encoder_hash_byte_group_vocab",
            "encoder_hash_byte_group_nb_functions", "patcher_config", "encoder_config", "decoder_config",
            "global_config", "tie_word_embeddings", "initializer_range", "rope_theta", "rope_scaling", "pm_size",
            "transformers_version", "torch_dtype", "dtype", "bos_token_id", "eos_token_id", "pad_token_id",
            "use_cache", "_name_or_path", "output_attentions", "output_hidden_states", "return_dict", CARRY);
    private static final Set<String> SUB = Set.of("vocab_size", "cross_attn_all_layers", "cross_attn_k",
            "hidden_size_global", "hidden_size", "num_attention_heads", "num_key_value_heads", "num_hidden_layers",
            "rms_norm_eps", "norm_eps", "dropout", "max_position_embeddings", "rope_theta", "rope_scaling",
            "hidden_act", "intermediate_size", "initializer_range", "head_dim", "model_type", "_attn_implementation",
            "attn_impl", "attn_bias_type", "pm_size", "encoder_cross_output_size", "tie_word_embeddings",
            "transformers_version", "torch_dtype", "dtype");
    /** patcher_config's: as SUB, and the entropy model's hub args that blt4j carries. */
    private static final Set<String> PATCHER_SUB = union(SUB, CARRY);

    // ---- hub → HF ----

    /** The HF config.json object for hub args {@code raw} (read from {@code file}); entropy: the patcher's args or null. */
    public static ObjectNode toHf(JsonNode raw, JsonNode entropy, Path file) {
        BltArgs a = read(raw, BltArgs.class, file);
        if (a.numHashTables() == 0)
            throw refuse(file, "encoder_hash_byte_group_size", "[]", "the HF port always has hash n-gram tables (an empty list means [3..8] there)");
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.putArray("architectures").add("BltForCausalLM");
        o.put("model_type", "blt");
        o.put("vocab_size", a.vocabSize());
        putInt(o, "max_position_embeddings", a.maxSeqlen());
        o.put("patch_in_forward", entropy != null);
        o.put("patch_size", a.patchSize());
        o.put("patching_mode", a.patchingMode());
        putNum(o, "patching_threshold", a.patchingThreshold());
        putNum(o, "patching_threshold_add", a.patchingThresholdAdd());
        putInt(o, "max_patch_length", a.maxPatchLength());
        o.put("patching_batch_size", 1);
        o.put("monotonicity", a.monotonicity());
        o.put("cross_attn_k", a.crossAttnK());
        ArrayNode sizes = o.putArray("encoder_hash_byte_group_size");
        a.encoderHashByteGroupSize().forEach(sizes::add);
        o.put("encoder_hash_byte_group_vocab", a.encoderHashByteGroupVocab());
        o.put("encoder_hash_byte_group_nb_functions", a.encoderHashByteGroupNbFunctions());
        o.put("rope_theta", a.ropeTheta());
        o.put("tie_word_embeddings", false);
        Integer encLen = a.maxEncoderSeqLength() != null ? a.maxEncoderSeqLength() : a.maxSeqlen();
        local(o.putObject("encoder_config"), a, a.dimLocalEncoder(), a.nHeadsLocalEncoder(),
                a.nLayersLocalEncoder(), a.crossAttnAllLayersEncoder(), encLen);
        local(o.putObject("decoder_config"), a, a.dimLocalDecoder(), a.nHeadsLocalDecoder(),
                a.nLayersLocalDecoder(), a.crossAttnAllLayersDecoder(), encLen);
        ObjectNode g = o.putObject("global_config");
        g.put("hidden_size", a.dimGlobal());
        g.put("num_attention_heads", a.nHeadsGlobal());
        g.put("num_key_value_heads", a.nKvHeadsGlobal());
        g.put("num_hidden_layers", a.nLayersGlobal());
        stackCommon(g, a.normEps(), a.ropeTheta(), a.ffnHidden(a.dimGlobal()));
        putInt(g, "max_position_embeddings", a.maxSeqlen());
        if (entropy != null) o.set("patcher_config", patcherToHf(read(entropy, LmArgs.class, file), entropy));
        o.set(CARRY, raw.deepCopy());
        return o;
    }

    private static ObjectNode local(ObjectNode c, BltArgs a, int dim, int heads, int layers, boolean allLayers, Integer maxLen) {
        c.put("vocab_size", a.vocabSize());
        c.put("cross_attn_all_layers", allLayers);
        c.put("cross_attn_k", a.crossAttnK());
        c.put("hidden_size_global", a.dimGlobal());
        c.put("hidden_size", dim);
        c.put("num_attention_heads", heads);
        c.put("num_key_value_heads", heads);
        c.put("num_hidden_layers", layers);
        stackCommon(c, a.normEps(), a.ropeTheta(), a.ffnHidden(dim));
        putInt(c, "max_position_embeddings", maxLen);
        return c;
    }

    private static void stackCommon(ObjectNode c, double eps, double theta, int intermediate) {
        c.put("rms_norm_eps", eps);
        c.put("dropout", 0.0);
        c.put("rope_theta", theta);
        c.putObject("rope_scaling").put("rope_type", "default");
        c.put("hidden_act", "silu");
        c.put("intermediate_size", intermediate);
    }

    private static ObjectNode patcherToHf(LmArgs e, JsonNode raw) {
        ObjectNode p = Json.MAPPER.createObjectNode();
        p.put("vocab_size", e.vocabSize());
        p.put("hidden_size", e.dim());
        p.put("num_hidden_layers", e.nLayers());
        p.put("num_attention_heads", e.nHeads());
        p.put("num_key_value_heads", e.nKvHeads() != null ? e.nKvHeads() : e.nHeads());
        putInt(p, "max_position_embeddings", e.maxSeqlen());
        p.put("rms_norm_eps", e.normEps());
        p.put("dropout", 0.0);
        p.put("rope_theta", e.ropeTheta());
        p.put("intermediate_size", e.ffnHidden());
        p.set(CARRY, raw.deepCopy());
        return p;
    }

    /**
     * What transformers' port computes differently from blt4j for these args (same tensors, other numbers): one line
     * each, empty when none. The HF layout still holds them all (blt4j_args), so converting back is lossless.
     */
    public static List<String> hfDifferences(BltArgs a) {
        List<String> out = new ArrayList<>();
        if (!a.crossAttnNheads().equals(a.nHeadsLocalEncoder()) || !a.crossAttnNheads().equals(a.nHeadsLocalDecoder()))
            out.add("cross_attn_nheads " + a.crossAttnNheads() + ": the HF port's cross-attention uses the local stacks' heads ("
                    + a.nHeadsLocalEncoder() + " encoder, " + a.nHeadsLocalDecoder() + " decoder)");
        if (a.downsamplingByPooling() != PoolingMode.MAX)
            out.add("downsampling_by_pooling " + a.downsamplingByPooling().configName() + ": the HF port pools by max only");
        if (a.localWindow() != Integer.MAX_VALUE)
            out.add("local_attention_window_len " + a.localWindow() + ": the HF port's local attention is causal over the whole sequence");
        if (a.globalBlockCausal())
            out.add("attn_bias_type " + (a.attnBiasType() == null ? "(default block_causal)" : a.attnBiasType().configName())
                    + ": the HF port's masks are plain causal (documents in one sequence see each other)");
        return out;
    }

    // ---- HF → hub ----

    /** The hub args for an HF config.json object (read from {@code file}). */
    public static ObjectNode toHub(JsonNode hf, Path file) {
        checkKnown(hf, TOP, "", file);
        check(file, "model_type", hf.get("model_type"), "blt");
        for (String k : new String[] {"encoder_config", "decoder_config", "global_config"})
            if (hf.path(k).isMissingNode() || !hf.get(k).isObject())
                throw new Blt4jException(file + ": field '" + k + "' is missing or not an object: blt4j needs the whole BltConfig");
        JsonNode enc = hf.get("encoder_config"), dec = hf.get("decoder_config"), glo = hf.get("global_config");
        checkKnown(enc, SUB, "encoder_config.", file);
        checkKnown(dec, SUB, "decoder_config.", file);
        checkKnown(glo, SUB, "global_config.", file);
        JsonNode carried = carried(hf, "", file);
        JsonNode patcher = hf.get("patcher_config");
        if (patcher != null && !patcher.isNull() && !patcher.isObject())
            throw new Blt4jException(file + ": field 'patcher_config' must be an object (or null: no patcher), got " + patcher);
        // what blt4j does not implement is refused with or without blt4j_args (the carried args do not name these fields)
        check(file, "tie_word_embeddings", hf.get("tie_word_embeddings"), false);
        check(file, "pm_size", hf.get("pm_size"), 0);
        checkRopeScaling(hf, "", file);
        for (String name : new String[] {"encoder_config", "decoder_config", "global_config", "patcher_config"}) {
            JsonNode c = hf.get(name);
            if (c == null || !c.isObject()) continue;
            check(file, name + ".hidden_act", c.get("hidden_act"), "silu");
            checkRopeScaling(c, name + ".", file);
            checkHeadDim(c, name, file);
        }
        int k = intOr(hf, "cross_attn_k", 2, file);
        int dEnc = intOr(enc, "hidden_size", 1024, file, "encoder_config."), dGlo = intOr(glo, "hidden_size", 2048, file, "global_config.");
        JsonNode cross = glo.get("encoder_cross_output_size");   // BltConfig sets it: enc hidden*k when that is not global hidden
        long crossWant = (long) dEnc * k;
        if (cross != null && !cross.isNull() && !(cross.isIntegralNumber() && cross.asLong() == crossWant && crossWant != dGlo))
            throw refuse(file, "global_config.encoder_cross_output_size", cross, "BltConfig sets it to " + (crossWant != dGlo
                    ? crossWant + " (encoder_config.hidden_size * cross_attn_k)"
                    : "null (encoder_config.hidden_size * cross_attn_k is global_config.hidden_size " + dGlo + ")") + "; remove it");
        int eos = intOr(hf, "eos_token_id", 2, file);
        if (carried != null) {
            JsonNode pc = patcher != null && patcher.isObject() ? carried(patcher, "patcher_config.", file) : null;
            ObjectNode back = toHf(carried, pc, file);
            sameFields(back, hf, "", file);
            JsonNode eosId = carried.get("eos_id");
            if (hf.has("eos_token_id") && !hf.get("eos_token_id").isNull() && eos != (eosId == null || eosId.isNull() ? 2 : eosId.asInt()))
                throw new Blt4jException(file + ": field 'eos_token_id' is " + eos + " but " + CARRY + " implies " + eosId
                        + "; edit one, not both (or delete " + CARRY + ")");
            return (ObjectNode) carried.deepCopy();
        }
        ObjectNode a = Json.MAPPER.createObjectNode();
        int vocab = intOr(hf, "vocab_size", 260, file);
        if (eos < 0 || eos >= vocab) throw refuse(file, "eos_token_id", eos, "it must be a token id in [0, vocab_size " + vocab + ")");
        int dDec = intOr(dec, "hidden_size", 1024, file);
        int hEnc = intOr(enc, "num_attention_heads", 16, file), hDec = intOr(dec, "num_attention_heads", 16, file);
        for (String name : new String[] {"encoder_config", "decoder_config"}) {
            JsonNode c = hf.get(name);
            check(file, name + ".vocab_size", c.get("vocab_size"), vocab);
            check(file, name + ".cross_attn_k", c.get("cross_attn_k"), k);
            check(file, name + ".hidden_size_global", c.get("hidden_size_global"), dGlo);
            int heads = intOr(c, "num_attention_heads", 16, file);
            check(file, name + ".num_key_value_heads", c.get("num_key_value_heads"), heads);
        }
        if (hEnc != hDec)
            throw refuse(file, "decoder_config.num_attention_heads", hDec, "blt4j's one cross_attn_nheads needs the encoder's and decoder's heads equal (encoder: " + hEnc + ")");
        double eps = dbl(enc, "rms_norm_eps", 1e-5, file), theta = dbl(glo, "rope_theta", 500000.0, file);
        if (!(eps > 0 && Double.isFinite(eps))) throw refuse(file, "encoder_config.rms_norm_eps", eps, "it must be a finite number > 0");
        if (!(theta > 0 && Double.isFinite(theta))) throw refuse(file, "global_config.rope_theta", theta, "it must be a finite number > 0");
        for (String name : new String[] {"encoder_config", "decoder_config", "global_config"}) {
            JsonNode c = hf.get(name);
            same(file, name + ".rms_norm_eps", c.get("rms_norm_eps"), eps, "encoder_config.rms_norm_eps");
            same(file, name + ".rope_theta", c.get("rope_theta"), theta, "global_config.rope_theta");
        }
        int multipleOf = multipleOf(file, new int[] {dEnc, dDec, dGlo},
                new int[] {intOr(enc, "intermediate_size", 2816, file), intOr(dec, "intermediate_size", 2816, file),
                        intOr(glo, "intermediate_size", 5632, file)}, new String[] {"encoder_config", "decoder_config", "global_config"});
        a.put("attn_bias_type", "causal");                     // the HF port's global mask: plain causal
        a.put("cross_attn_all_layers_decoder", bool(dec, "cross_attn_all_layers", true, file));
        a.put("cross_attn_all_layers_encoder", bool(enc, "cross_attn_all_layers", false, file));
        a.put("cross_attn_decoder", true);
        a.put("cross_attn_encoder", true);
        a.put("cross_attn_init_by_pooling", true);
        a.put("cross_attn_k", k);
        a.put("cross_attn_nheads", hEnc);
        a.put("dim", dGlo);
        a.put("dim_global", dGlo);
        a.put("dim_local_decoder", dDec);
        a.put("dim_local_encoder", dEnc);
        a.put("downsampling_by_pooling", "max");
        ArrayNode sizes = a.putArray("encoder_hash_byte_group_size");
        JsonNode hs = hf.get("encoder_hash_byte_group_size");
        if (hs == null || hs.isNull() || hs.isArray() && hs.isEmpty()) for (int g = 3; g <= 8; g++) sizes.add(g);  // BltConfig's default (`or [3..8]`)
        else if (!hs.isArray())
            throw new Blt4jException(file + ": field 'encoder_hash_byte_group_size' must be a list of integers like [3, 4, 5, 6], got " + hs);
        else for (int i = 0; i < hs.size(); i++) sizes.add(intOr(hs, i, file, "encoder_hash_byte_group_size"));
        a.put("encoder_hash_byte_group_nb_functions", intOr(hf, "encoder_hash_byte_group_nb_functions", 1, file));
        a.put("encoder_hash_byte_group_vocab", intOr(hf, "encoder_hash_byte_group_vocab", 500002, file));
        a.put("eos_id", eos);
        a.put("ffn_dim_multiplier", 1.0);
        a.putNull("local_attention_window_len");              // the HF port's local masks: causal, unbounded
        a.put("max_encoder_seq_length", intOr(enc, "max_position_embeddings", 24576, file));
        if (hf.hasNonNull("max_patch_length")) a.put("max_patch_length", intOr(hf, "max_patch_length", 0, file));
        a.put("max_seqlen", intOr(hf, "max_position_embeddings", 4096, file));
        a.put("monotonicity", bool(hf, "monotonicity", false, file));
        a.put("multiple_of", multipleOf);
        a.put("n_heads_global", intOr(glo, "num_attention_heads", 16, file));
        a.put("n_heads_local_decoder", hDec);
        a.put("n_heads_local_encoder", hEnc);
        a.put("n_kv_heads_global", intOr(glo, "num_key_value_heads", intOr(glo, "num_attention_heads", 16, file), file));
        a.put("n_layers_global", intOr(glo, "num_hidden_layers", 25, file));
        a.put("n_layers_local_decoder", intOr(dec, "num_hidden_layers", 9, file));
        a.put("n_layers_local_encoder", intOr(enc, "num_hidden_layers", 1, file));
        a.put("norm_eps", eps);
        a.put("patch_size", dbl(hf, "patch_size", 4, file));
        JsonNode mode = hf.get("patching_mode");
        if (mode != null && !mode.isNull() && !mode.isTextual())
            throw new Blt4jException(file + ": field 'patching_mode' must be a string like \"entropy\", got " + mode);
        a.put("patching_mode", mode == null || mode.isNull() ? "entropy" : mode.asText());
        a.put("patching_threshold", dbl(hf, "patching_threshold", 1.335442066192627, file));
        if (hf.hasNonNull("patching_threshold_add")) a.put("patching_threshold_add", dbl(hf, "patching_threshold_add", 0, file));
        a.put("rope_theta", theta);
        a.put("use_local_encoder_transformer", true);
        a.put("use_rope", true);
        a.put("vocab_size", vocab);
        read(a, BltArgs.class, file);                          // BltArgs' own checks (patching_mode, heads, ...)
        return a;
    }

    /** The patcher's hub args (an entropy model's LmArgs) from an HF config, or null when it has no patcher. */
    public static ObjectNode patcherToHub(JsonNode hf, Path file) {
        JsonNode p = hf.get("patcher_config");
        if (p == null || p.isNull() || !bool(hf, "patch_in_forward", true, file)) return null;
        if (!p.isObject()) throw new Blt4jException(file + ": field 'patcher_config' must be an object (or null: no patcher), got " + p);
        checkKnown(p, PATCHER_SUB, "patcher_config.", file);
        checkRopeScaling(p, "patcher_config.", file);
        checkHeadDim(p, "patcher_config", file);
        JsonNode carried = carried(p, "patcher_config.", file);
        if (carried != null) return (ObjectNode) carried.deepCopy();
        ObjectNode a = Json.MAPPER.createObjectNode();
        int dim = intOr(p, "hidden_size", 768, file);
        a.put("attn_bias_type", "causal");
        a.put("dim", dim);
        a.put("max_seqlen", intOr(p, "max_position_embeddings", 8192, file));
        a.put("multiple_of", multipleOf(file, new int[] {dim}, new int[] {intOr(p, "intermediate_size", 2048, file)},
                new String[] {"patcher_config"}));
        a.put("ffn_dim_multiplier", 1.0);
        int heads = intOr(p, "num_attention_heads", 12, file);
        a.put("n_heads", heads);
        a.put("n_kv_heads", intOr(p, "num_key_value_heads", heads, file));
        a.put("n_layers", intOr(p, "num_hidden_layers", 14, file));
        a.put("norm_eps", dbl(p, "rms_norm_eps", 1e-5, file));
        a.put("rope_theta", dbl(p, "rope_theta", 10000.0, file));
        a.put("vocab_size", intOr(p, "vocab_size", 260, file));
        a.put("weight_tying", false);
        read(a, LmArgs.class, file);
        return a;
    }

    // ---- helpers ----

    /** The multiple_of (with ffn_dim_multiplier 1) that gives every stack its intermediate_size. */
    private static int multipleOf(Path file, int[] dims, int[] sizes, String[] names) {
        for (int m : new int[] {256, 128, 64, 32, 16, 8, 4, 2, 1}) {
            boolean ok = true;
            for (int i = 0; i < dims.length; i++) ok &= LmArgs.ffnWidth(dims[i], 1.0, m) == sizes[i];
            if (ok) return m;
        }
        for (int i = 0; i < dims.length; i++)
            if (LmArgs.ffnWidth(dims[i], 1.0, 1) > sizes[i])
                throw refuse(file, names[i] + ".intermediate_size", sizes[i], "blt4j's SwiGLU width is int(8*hidden_size/3)="
                        + (long) (8L * dims[i] / 3.0) + " rounded up to one multiple_of shared by all stacks");
        throw refuse(file, names[0] + ".intermediate_size", sizes[0], "no one multiple_of gives every stack's intermediate_size");
    }

    private static void checkKnown(JsonNode o, Set<String> known, String prefix, Path file) {
        for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!known.contains(f))
                throw new Blt4jException(file + ": unknown field '" + prefix + f + "': blt4j does not know what it changes in BltForCausalLM");
        }
    }

    /** The object under {@value #CARRY} in {@code o}, or null when absent or null; anything else is refused. */
    private static JsonNode carried(JsonNode o, String prefix, Path file) {
        JsonNode c = o.get(CARRY);
        if (c == null || c.isNull()) return null;
        if (!c.isObject())
            throw new Blt4jException(file + ": field '" + prefix + CARRY + "' must be an object (the hub args blt4j wrote), got "
                    + c + "; delete it to rebuild the args from the HF fields");
        return c;
    }

    /**
     * head_dim, when given, must be hidden_size // num_attention_heads: configuration_blt.py sets it so, but a head_dim in
     * the file overrides it (PretrainedConfig sets every extra key) and the rotary embedding reads it, while attention
     * uses hidden_size // heads.
     */
    private static void checkHeadDim(JsonNode c, String name, Path file) {
        JsonNode v = c.get("head_dim");
        if (v == null || v.isNull()) return;
        int heads = intOr(c, "num_attention_heads", name.equals("patcher_config") ? 12 : 16, file, name + ".");
        int hidden = intOr(c, "hidden_size", switch (name) {
            case "global_config" -> 2048;
            case "patcher_config" -> 768;
            default -> 1024;
        }, file, name + ".");
        long want = heads > 0 ? hidden / heads : -1;
        if (!(v.isIntegralNumber() && v.asLong() == want))
            throw refuse(file, name + ".head_dim", v, "the port's attention uses hidden_size // num_attention_heads = "
                    + (heads > 0 ? want : "(no heads)") + " and its RoPE reads head_dim; remove it or make them equal");
    }

    private static void checkRopeScaling(JsonNode c, String prefix, Path file) {
        JsonNode r = c.get("rope_scaling");
        if (r == null || r.isNull()) return;
        String type = r.path("rope_type").asText(r.path("type").asText(""));
        if (!type.equals("default")) throw refuse(file, prefix + "rope_scaling", r, "blt4j implements plain RoPE only (rope_type default)");
    }

    /** A field absent or null takes the HF default; present, it must equal {@code want}. */
    private static void check(Path file, String field, JsonNode v, Object want) {
        if (v == null || v.isNull()) return;
        Object got = v.isNumber() ? (Object) v.asDouble() : v.isBoolean() ? v.asBoolean() : v.asText();
        Object w = want instanceof Number n ? (Object) n.doubleValue() : want;
        if (!got.equals(w)) throw refuse(file, field, v, "blt4j implements " + want + " only here");
    }

    /** A field absent or null takes the HF default; present, it must equal the value blt4j shares from {@code from}. */
    private static void same(Path file, String field, JsonNode v, double want, String from) {
        if (v == null || v.isNull() || (v.isNumber() && v.asDouble() == want)) return;
        throw refuse(file, field, v, "blt4j's encoder, decoder and global stacks share one value, taken from " + from + " = "
                + want + "; make them equal");
    }

    /** Every field of {@code want} (mapped from the carried args) equals the HF config's. */
    private static void sameFields(JsonNode want, JsonNode hf, String prefix, Path file) {
        for (Iterator<Map.Entry<String, JsonNode>> it = want.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals(CARRY) || e.getKey().equals("architectures")) continue;
            JsonNode got = hf.get(e.getKey());
            if (e.getValue().isObject() && got != null && got.isObject()) sameFields(e.getValue(), got, prefix + e.getKey() + ".", file);
            else if (got == null || !(got.isNumber() && e.getValue().isNumber() ? got.asDouble() == e.getValue().asDouble() : got.equals(e.getValue())))
                throw new Blt4jException(file + ": field '" + prefix + e.getKey() + "' is " + got + " but " + CARRY
                        + " implies " + e.getValue() + "; edit one, not both (or delete " + CARRY + ")");
        }
    }

    private static Blt4jException refuse(Path file, String field, Object value, String why) {
        return new Blt4jException(file + ": field '" + field + "' = " + value + " is not supported: " + why);
    }

    private static int intOr(JsonNode o, String f, int def, Path file) {
        return intOr(o, f, def, file, "");
    }

    private static int intOr(JsonNode o, String f, int def, Path file, String prefix) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return def;
        if (!v.canConvertToInt() || !v.isIntegralNumber())
            throw new Blt4jException(file + ": field '" + prefix + f + "' must be an integer, got " + v);
        return v.asInt();
    }

    /** Element i of the list field {@code f}, an integer. */
    private static int intOr(JsonNode list, int i, Path file, String f) {
        JsonNode v = list.get(i);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber())
            throw new Blt4jException(file + ": field '" + f + "[" + i + "]' must be an integer, got " + v);
        return v.asInt();
    }

    private static double dbl(JsonNode o, String f, double def, Path file) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return def;
        if (!v.isNumber()) throw new Blt4jException(file + ": field '" + f + "' must be a number, got " + v);
        return v.asDouble();
    }

    private static boolean bool(JsonNode o, String f, boolean def, Path file) {
        JsonNode v = o.get(f);
        if (v == null || v.isNull()) return def;
        if (!v.isBoolean()) throw new Blt4jException(file + ": field '" + f + "' must be true or false, got " + v);
        return v.asBoolean();
    }

    private static void putInt(ObjectNode o, String f, Integer v) {
        if (v == null) o.putNull(f); else o.put(f, v);
    }

    private static void putNum(ObjectNode o, String f, Double v) {
        if (v == null) o.putNull(f); else o.put(f, v);
    }

    private static <T> T read(JsonNode args, Class<T> type, Path file) {
        try {
            return Json.MAPPER.treeToValue(args, type);
        } catch (JacksonException | IllegalArgumentException e) {
            for (Throwable c = e; c != null; c = c.getCause())
                if (c instanceof Blt4jException b) throw new Blt4jException(file + ": " + b.getMessage().replaceFirst("^config: ", ""), b);
            String why = e instanceof JacksonException j ? Json.describe(j) : String.valueOf(e.getMessage());   // one line, naming the field
            throw new Blt4jException(file + ": cannot read args as " + type.getSimpleName() + ": " + why, e);
        }
    }

    private static Set<String> union(Set<String> a, String b) {
        Set<String> s = new java.util.HashSet<>(a);
        s.add(b);
        return Set.copyOf(s);
    }
}
