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
        if (headDim == null) {
            if (dim % nHeads != 0) throw new Blt4jException("config: dim " + dim + " is not divisible by n_heads " + nHeads);
            headDim = dim / nHeads;
        }
        if (dim <= 0 || nLayers < 0 || nHeads <= 0 || nKvHeads <= 0 || nHeads % nKvHeads != 0)
            throw new Blt4jException("config: need dim > 0, n_layers >= 0, n_heads > 0 and n_heads divisible by n_kv_heads"
                    + " (got dim " + dim + ", n_layers " + nLayers + ", n_heads " + nHeads + ", n_kv_heads " + nKvHeads + ")");
        if (headDim % 2 != 0) throw new Blt4jException("config: head_dim " + headDim + " must be even for RoPE");
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

    /** SwiGLU hidden size: int(2*4*dim/3), times the multiplier, rounded up to multiple_of. */
    public static int ffnHidden(int dim, double multiplier, int multipleOf) {
        int h = (int) (2 * 4 * dim / 3.0);
        h = (int) (multiplier * h);
        return multipleOf * ((h + multipleOf - 1) / multipleOf);
    }
}
