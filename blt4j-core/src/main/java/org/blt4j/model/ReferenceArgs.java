package org.blt4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.Map;
import org.blt4j.Blt4jException;

/**
 * Keys of the reference's BLT config.json that BltArgs does not read. A released checkpoint's config.json carries
 * many: most do not change the forward pass and are ignored (training-only knobs: dropout, init_*, recompute_*,
 * layer_ckpt, loss_parallel, sequence_parallel, fuse_sequence_parallel, use_fsdp, custom_bwd, full_logging_n_layers,
 * seed, log_patch_lengths, encoder_lm_loss; implementation choices with the same result: attn_impl,
 * attn_to_keep, cross_attn_use_flex_attention, rope_use_fp32_in_outer_product; where the reference finds its
 * patcher: entropy_model_checkpoint_dir, patching_device, patching_batch_size, patch_in_forward; values the keys
 * blt4j reads already decide: dim, n_heads, n_layers, n_kv_heads, head_dim, max_length, max_encoder_seq_length,
 * pad_to_max_length, patching_thresholds_str, dim_token, dim_token_emb, dim_patch_emb, output_size).
 * The ones below change the computation: blt4j implements one value of each (the released models' value), and a
 * config.json with another is refused rather than computed wrongly.
 */
final class ReferenceArgs {
    private ReferenceArgs() {}

    /** key → the one value blt4j implements (null: the key must be null or absent). */
    private static final Map<String, Object> IMPLEMENTED = Map.ofEntries(
            Map.entry("non_linearity", "swiglu"),
            Map.entry("norm_type", "rmsnorm"),
            Map.entry("norm_affine", true),
            Map.entry("pre_norm", true),
            Map.entry("weight_tying", false),
            Map.entry("architecture", "vanilla"),
            Map.entry("encoder_enable_byte_ngrams", false),
            Map.entry("tie_local_encoder_decoder_logits", false),
            Map.entry("pm_size", 0),
            Map.entry("entropy_model_is_ngram_model", false),
            Map.entry("tokenize_with_bpe_delimiter", false));

    /** Refuses a value of an IMPLEMENTED key other than the one blt4j implements; absent or null keys are fine. */
    static void check(JsonNode args, Path dir) {
        check(args, dir, "config.json");
    }

    /** As above, for args read from {@code file} (config.json, or params.json's "model" section). */
    static void check(JsonNode args, Path dir, String file) {
        for (var e : IMPLEMENTED.entrySet()) {
            JsonNode v = args.get(e.getKey());
            if (v == null || v.isNull()) continue;
            Object want = e.getValue();
            boolean same = want instanceof Boolean b ? v.isBoolean() && v.booleanValue() == b
                    : want instanceof Integer i ? v.isNumber() && v.doubleValue() == i
                    : v.isTextual() && v.textValue().equals(want);
            if (!same)
                throw new Blt4jException("checkpoint " + dir + ": " + file + " has " + e.getKey() + " = " + v
                        + ", but blt4j implements " + e.getKey() + " = " + want + " only");
        }
        JsonNode residual = args.get("global_local_decoder_residual_layer");
        if (residual != null && !residual.isNull())
            throw new Blt4jException("checkpoint " + dir + ": " + file + " has global_local_decoder_residual_layer = "
                    + residual + ", which blt4j does not implement (it must be null)");
    }
}
