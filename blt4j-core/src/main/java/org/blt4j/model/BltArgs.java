package org.blt4j.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.util.List;
import org.blt4j.Blt4jException;

import static org.blt4j.model.LmArgs.require;

/**
 * Arguments of the ByteLatentTransformer, as in its hub {@code config.json} {"args": ...} (names of the reference).
 * Only the keys the forward pass and the patcher use are read; every one read is used, or refused when it asks for
 * something blt4j does not implement (use_rope false, ...). Other keys of the reference are ignored in a hub
 * config.json (see ReferenceArgs for which and why) and refused in a training config (Training.bind).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record BltArgs(
        Integer dim,
        Integer vocabSize,
        Integer dimGlobal,
        Integer dimLocalEncoder,
        Integer dimLocalDecoder,
        Integer nHeadsGlobal,
        Integer nKvHeadsGlobal,
        Integer nHeadsLocalEncoder,
        Integer nHeadsLocalDecoder,
        Integer nLayersGlobal,
        Integer nLayersLocalEncoder,
        Integer nLayersLocalDecoder,
        Double ffnDimMultiplier,
        Integer multipleOf,
        Double normEps,
        Double ropeTheta,
        Integer localAttentionWindowLen,
        Integer maxSeqlen,
        Integer maxEncoderSeqLength,
        Integer eosId,
        Boolean crossAttnEncoder,
        Boolean crossAttnDecoder,
        Boolean crossAttnAllLayersEncoder,
        Boolean crossAttnAllLayersDecoder,
        Boolean crossAttnInitByPooling,
        Integer crossAttnK,
        Integer crossAttnNheads,
        Integer crossAttnWindowEncoder,
        Integer crossAttnWindowDecoder,
        PoolingMode downsamplingByPooling,
        List<Integer> encoderHashByteGroupSize,
        Integer encoderHashByteGroupNbFunctions,
        Integer encoderHashByteGroupVocab,
        Boolean useLocalEncoderTransformer,
        Boolean useRope,
        String patchingMode,
        Double patchingThreshold,
        Double patchingThresholdAdd,
        Boolean monotonicity,
        Integer maxPatchLength,
        Double patchSize,
        AttnBiasType attnBiasType) {

    public BltArgs {
        require(dimGlobal, "dim_global");
        require(dimLocalEncoder, "dim_local_encoder");
        require(dimLocalDecoder, "dim_local_decoder");
        require(nLayersGlobal, "n_layers_global");
        require(nLayersLocalEncoder, "n_layers_local_encoder");
        require(nLayersLocalDecoder, "n_layers_local_decoder");
        if (vocabSize == null) vocabSize = 260;
        if (nHeadsGlobal == null) nHeadsGlobal = 8;
        if (nKvHeadsGlobal == null) nKvHeadsGlobal = nHeadsGlobal;
        if (nHeadsLocalEncoder == null) nHeadsLocalEncoder = 8;
        if (nHeadsLocalDecoder == null) nHeadsLocalDecoder = 8;
        if (ffnDimMultiplier == null) ffnDimMultiplier = 1.0;
        if (multipleOf == null) multipleOf = 256;
        if (normEps == null) normEps = 1e-5;
        if (ropeTheta == null) ropeTheta = 10000.0;
        if (eosId == null) eosId = 2;
        if (crossAttnEncoder == null) crossAttnEncoder = false;
        if (crossAttnDecoder == null) crossAttnDecoder = false;
        if (crossAttnAllLayersEncoder == null) crossAttnAllLayersEncoder = false;
        if (crossAttnAllLayersDecoder == null) crossAttnAllLayersDecoder = false;
        if (crossAttnInitByPooling == null) crossAttnInitByPooling = false;
        if (crossAttnK == null) crossAttnK = 1;
        if (crossAttnNheads == null) crossAttnNheads = 1;
        if (downsamplingByPooling == null) downsamplingByPooling = PoolingMode.MAX;
        if (encoderHashByteGroupNbFunctions == null) encoderHashByteGroupNbFunctions = 1;
        if (encoderHashByteGroupVocab == null) encoderHashByteGroupVocab = 30000;
        if (encoderHashByteGroupSize == null) encoderHashByteGroupSize = List.of();
        if (useLocalEncoderTransformer == null) useLocalEncoderTransformer = true;
        if (useRope == null) useRope = true;
        if (patchingMode == null) patchingMode = "entropy";
        if (monotonicity == null) monotonicity = false;
        if (patchSize == null) patchSize = 4.5;
        encoderHashByteGroupSize = List.copyOf(encoderHashByteGroupSize);

        if (!crossAttnEncoder || !crossAttnDecoder || !crossAttnInitByPooling)
            throw new Blt4jException("config: blt4j supports the released BLT layout only: cross_attn_encoder, "
                    + "cross_attn_decoder and cross_attn_init_by_pooling must all be true");
        if (!useRope) throw new Blt4jException("config: use_rope is false, but blt4j implements RoPE only (use_rope: true)");
        if (!useLocalEncoderTransformer)
            throw new Blt4jException("config: use_local_encoder_transformer is false, but blt4j implements the local encoder"
                    + " with its transformer layers only (use_local_encoder_transformer: true)");
        org.blt4j.patch.PatchingMode.parse(patchingMode);   // an unknown mode is refused here, listing the valid ones
        LmArgs.checkCommon(vocabSize, multipleOf, ffnDimMultiplier, normEps, ropeTheta, eosId);
        if (!(patchSize >= 1) || Double.isInfinite(patchSize))
            throw new Blt4jException("config: patch_size must be a finite number of bytes >= 1, got " + patchSize);
        if (maxSeqlen != null && maxSeqlen < 1) throw new Blt4jException("config: max_seqlen must be >= 1, got " + maxSeqlen);
        if (localAttentionWindowLen != null && localAttentionWindowLen < 1)
            throw new Blt4jException("config: local_attention_window_len must be >= 1 (null: no window), got " + localAttentionWindowLen);
        if (maxEncoderSeqLength != null && maxEncoderSeqLength < 2)
            throw new Blt4jException("config: max_encoder_seq_length must be >= 2 (null: max_seqlen), got " + maxEncoderSeqLength);
        checkHeads("global", dimGlobal, nHeadsGlobal);
        checkHeads("local encoder", dimLocalEncoder, nHeadsLocalEncoder);
        checkHeads("local decoder", dimLocalDecoder, nHeadsLocalDecoder);
        checkHeads("encoder cross-attention", dimLocalEncoder, crossAttnNheads);
        checkHeads("decoder cross-attention", dimLocalDecoder, crossAttnNheads);
        if (nHeadsGlobal % nKvHeadsGlobal != 0)
            throw new Blt4jException("config: n_heads_global " + nHeadsGlobal + " is not divisible by n_kv_heads_global " + nKvHeadsGlobal);
        if (crossAttnK < 1) throw new Blt4jException("config: cross_attn_k must be >= 1, got " + crossAttnK);
        // dim * k sizes the patch projections: it must not wrap (it gave shapes like [-2147483584, 96])
        for (int d : new int[] {dimLocalEncoder, dimLocalDecoder})
            if ((long) d * crossAttnK > Integer.MAX_VALUE)
                throw new Blt4jException("config: cross_attn_k " + crossAttnK + " times the local dim " + d + " is larger than "
                        + Integer.MAX_VALUE + " (the patch projections have dim*cross_attn_k rows); check cross_attn_k");
        for (int d : new int[] {dimGlobal, dimLocalEncoder, dimLocalDecoder}) LmArgs.checkFfn(d, ffnDimMultiplier, multipleOf);
        for (int g : encoderHashByteGroupSize)   // each hashes a window of g bytes at every position (the released: 3..8)
            if (g < 1 || g > MAX_HASH_GROUP)
                throw new Blt4jException("config: encoder_hash_byte_group_size entries must be in [1, " + MAX_HASH_GROUP
                        + "] (n-grams of that many bytes; the released models use 3..8), got " + g);
        if (encoderHashByteGroupNbFunctions < 0 || encoderHashByteGroupNbFunctions > HashNgrams.maxFunctions())
            throw new Blt4jException("config: encoder_hash_byte_group_nb_functions must be in [0, " + HashNgrams.maxFunctions()
                    + "] (one prime per function; the released models use 1), got " + encoderHashByteGroupNbFunctions);
        if (!encoderHashByteGroupSize.isEmpty() && encoderHashByteGroupVocab < 1)
            throw new Blt4jException("config: encoder_hash_byte_group_vocab must be >= 1, got " + encoderHashByteGroupVocab);
        // the patcher's fields, refused here naming the field (the patcher's own check names neither file nor field)
        if (patchingThreshold != null && !Double.isFinite(patchingThreshold))
            throw new Blt4jException("config: patching_threshold must be a finite number (null: top-k patching), got " + patchingThreshold);
        if (patchingThresholdAdd != null && !Double.isFinite(patchingThresholdAdd))
            throw new Blt4jException("config: patching_threshold_add must be a finite number (or absent), got " + patchingThresholdAdd);
        if (maxPatchLength != null && maxPatchLength < 1)
            throw new Blt4jException("config: max_patch_length must be >= 1 (null: no limit), got " + maxPatchLength);
    }

    /** Largest encoder_hash_byte_group_size entry (a 2^31 one asked for an array of that many prime powers). */
    public static final int MAX_HASH_GROUP = 64;

    private static void checkHeads(String what, int dim, int heads) {
        if (heads <= 0 || dim % heads != 0 || (dim / heads) % 2 != 0)
            throw new Blt4jException("config: " + what + " dim " + dim + " must split into " + heads
                    + " heads of even size");
    }

    /** The global transformer's mask: block-causal unless attn_bias_type is "causal" (absent: block-causal). */
    public boolean globalBlockCausal() {
        return attnBiasType == null || attnBiasType.blockCausal();
    }

    /** Local attention window of the encoder and decoder; null means unbounded. */
    public int localWindow() {
        return localAttentionWindowLen == null || localAttentionWindowLen <= 0 ? Integer.MAX_VALUE : localAttentionWindowLen;
    }

    public int numHashTables() {
        return encoderHashByteGroupSize.size() * encoderHashByteGroupNbFunctions;
    }

    public int ffnHidden(int d) {
        return LmArgs.ffnHidden(d, ffnDimMultiplier, multipleOf);
    }

    /** True when the global stack needs token_embedding_projection (dim_local_encoder * k != dim_global). */
    public boolean hasGlobalInputProjection() {
        return dimLocalEncoder * crossAttnK != dimGlobal;
    }

    /** The patcher this config describes (patching_mode, patching_threshold, ...). */
    public org.blt4j.patch.PatcherArgs patcherArgs() {
        return org.blt4j.patch.PatcherArgs.of(patchingMode(), patchingThreshold(), patchingThresholdAdd(), monotonicity(),
                maxPatchLength(), patchSize());
    }
}
