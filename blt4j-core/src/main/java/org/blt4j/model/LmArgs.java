package org.blt4j.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import org.blt4j.Blt4jException;

/**
 * Arguments of the entropy model (the reference's LMTransformer), as in its hub {@code config.json} {"args": ...}.
 * Unknown keys are ignored; the compact constructor validates what the forward pass uses.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record LmArgs(
        Integer dim,
        Integer nLayers,
        Integer nHeads,
        Integer nKvHeads,
        Integer headDim,
        Integer vocabSize,
        Double ffnDimMultiplier,
        Integer multipleOf,
        Double normEps,
        Double ropeTheta,
        Integer slidingWindow,
        Integer maxSeqlen,
        Integer eosId,
        String attnBiasType,
        Boolean weightTying) {

    public LmArgs {
        require(dim, "dim");
        require(nLayers, "n_layers");
        require(nHeads, "n_heads");
        if (vocabSize == null) vocabSize = 260;
        if (nKvHeads == null) nKvHeads = nHeads;
        if (ffnDimMultiplier == null) ffnDimMultiplier = 1.0;
        if (multipleOf == null) multipleOf = 256;
        if (normEps == null) normEps = 1e-5;
        if (ropeTheta == null) ropeTheta = 10000.0;
        if (maxSeqlen == null) maxSeqlen = 1024;
        if (eosId == null) eosId = 2;
        if (weightTying == null) weightTying = false;
        if (nHeads <= 0) throw new Blt4jException("config: n_heads must be > 0, got " + nHeads);
        checkCommon(vocabSize, multipleOf, ffnDimMultiplier, normEps, ropeTheta, eosId);
        if (maxSeqlen < 1) throw new Blt4jException("config: max_seqlen must be >= 1, got " + maxSeqlen);
        if (attnBiasType != null) AttnBiasType.parse(attnBiasType);   // one of the reference's names, or refused naming them
        if (slidingWindow != null && slidingWindow < 1)
            throw new Blt4jException("config: sliding_window must be >= 1 (null: no window), got " + slidingWindow);
        if (headDim == null) {
            if (dim % nHeads != 0) throw new Blt4jException("config: dim " + dim + " is not divisible by n_heads " + nHeads);
            headDim = dim / nHeads;
        }
        if (dim <= 0 || nLayers < 0 || nHeads <= 0 || nKvHeads <= 0 || nHeads % nKvHeads != 0)
            throw new Blt4jException("config: need dim > 0, n_layers >= 0, n_heads > 0 and n_heads divisible by n_kv_heads"
                    + " (got dim " + dim + ", n_layers " + nLayers + ", n_heads " + nHeads + ", n_kv_heads " + nKvHeads + ")");
        if (headDim < 2 || headDim % 2 != 0) throw new Blt4jException("config: head_dim " + headDim + " must be even and >= 2 (RoPE turns pairs)");
        checkFfn(dim, ffnDimMultiplier, multipleOf);
    }

    /** The fields both configs share, each in its range (a 0 would divide by zero, a negative eps take a NaN root). */
    static void checkCommon(int vocabSize, int multipleOf, double ffnDimMultiplier, double normEps, double ropeTheta, int eosId) {
        if (vocabSize < 1) throw new Blt4jException("config: vocab_size must be >= 1, got " + vocabSize);
        if (multipleOf < 1) throw new Blt4jException("config: multiple_of must be >= 1, got " + multipleOf);
        if (!(ffnDimMultiplier > 0) || Double.isInfinite(ffnDimMultiplier))
            throw new Blt4jException("config: ffn_dim_multiplier must be a finite number > 0, got " + ffnDimMultiplier);
        if (!(normEps > 0) || Double.isInfinite(normEps))
            throw new Blt4jException("config: norm_eps must be a finite number > 0, got " + normEps);
        if (!(ropeTheta > 0) || Double.isInfinite(ropeTheta))
            throw new Blt4jException("config: rope_theta must be a finite number > 0, got " + ropeTheta);
        if (eosId < 0 || eosId >= vocabSize)
            throw new Blt4jException("config: eos_id must be a token id in [0, vocab_size " + vocabSize + "), got " + eosId);
    }

    static void require(Object v, String field) {
        if (v == null) throw new Blt4jException("config: required field '" + field + "' is missing from args");
    }

    /** Local attention window; null or &lt;= 0 means unbounded (plain block-causal). */
    public int window() {
        return slidingWindow == null || slidingWindow <= 0 ? Integer.MAX_VALUE : slidingWindow;
    }

    public int ffnHidden() {
        return ffnHidden(dim, ffnDimMultiplier, multipleOf);
    }

    /** SwiGLU hidden size: int(2*4*dim/3), times the multiplier, rounded up to multiple_of (args checked by checkFfn). */
    public static int ffnHidden(int dim, double multiplier, int multipleOf) {
        long w = ffnWidth(dim, multiplier, multipleOf);
        if (w > Integer.MAX_VALUE) throw new Blt4jException("config: the feed-forward width of dim " + dim + " (ffn_dim_multiplier "
                + multiplier + ", multiple_of " + multipleOf + ") is past " + Integer.MAX_VALUE);
        return (int) w;
    }

    /** {@link #ffnHidden} in exact arithmetic: Long.MAX_VALUE when past Integer.MAX_VALUE (it was an int that wrapped). */
    static long ffnWidth(int dim, double multiplier, int multipleOf) {
        long h = (long) (multiplier * (long) (8L * dim / 3.0));   // saturates, never wraps
        if (h > Integer.MAX_VALUE) return Long.MAX_VALUE;
        long w = (long) multipleOf * Math.ceilDiv(h, (long) multipleOf);
        return w > Integer.MAX_VALUE ? Long.MAX_VALUE : w;
    }

    /** The feed-forward width of {@code dim} is >= 1 and fits an int (a wrapped one gave shapes like [-2147483616, 128]). */
    static void checkFfn(int dim, double multiplier, int multipleOf) {
        long w = ffnWidth(dim, multiplier, multipleOf);
        if (w < 1 && dim > 0)
            throw new Blt4jException("config: ffn_dim_multiplier " + multiplier + " makes the feed-forward width of dim " + dim
                    + " " + w + " (int(8*dim/3)*ffn_dim_multiplier rounded up to multiple_of); check ffn_dim_multiplier");
        if (w > Integer.MAX_VALUE)
            throw new Blt4jException("config: ffn_dim_multiplier " + multiplier + " with multiple_of " + multipleOf
                    + " makes the feed-forward width of dim " + dim + " (int(8*dim/3)*ffn_dim_multiplier rounded up to"
                    + " multiple_of) larger than " + Integer.MAX_VALUE + "; check ffn_dim_multiplier and multiple_of");
    }
}
