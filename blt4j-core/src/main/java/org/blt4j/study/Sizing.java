package org.blt4j.study;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.function.IntToDoubleFunction;
import org.blt4j.Blt4jException;
import org.blt4j.eval.Flops;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.blt4j.train.Training;

/**
 * Sizes a study's arms so that, at one size, every arm costs the reference arm's forward FLOPs per byte (within
 * {@link #TOLERANCE}): the BLT arms by their latent transformer's width (dim_global; everything local stays), the
 * bytes and bpe arms by their transformer's width (dim; layers and heads as the size's lm says). Widths step by
 * 2·n_heads (even head dims for RoPE); the closest is taken.
 */
public final class Sizing {
    private Sizing() {}

    /** Arms of one size may differ from the reference's forward FLOPs per byte by at most this fraction. */
    public static final double TOLERANCE = 0.10;

    private static final int MAX_DIM = 8192;

    /** The reference BLT's args tree with the study's row length and this arm's patching. */
    static ObjectNode bltArgs(JsonNode base, int seqLen, String mode, Double threshold, double patchSize) {
        ObjectNode a = ((ObjectNode) base).deepCopy();
        if (!a.has("max_seqlen")) a.put("max_seqlen", seqLen);
        if (!a.has("local_attention_window_len")) a.put("local_attention_window_len", seqLen);
        a.put("patching_mode", mode);
        if (threshold != null) a.put("patching_threshold", threshold);
        else a.remove("patching_threshold");
        a.put("patch_size", patchSize);
        return a;
    }

    /** The bytes/bpe arm's args: the size's lm keys, the width given, and a context of ctx positions. */
    static ObjectNode lmArgs(JsonNode lm, int dim, int vocabSize, int ctx) {
        ObjectNode a = ((ObjectNode) lm).deepCopy();
        a.put("dim", dim);
        a.put("vocab_size", vocabSize);
        if (!a.has("max_seqlen")) a.put("max_seqlen", ctx);
        if (!a.has("sliding_window")) a.put("sliding_window", ctx);
        if (!a.has("attn_bias_type")) a.put("attn_bias_type", "local_block_causal");
        if (!a.has("eos_id")) a.put("eos_id", 2);
        if (!a.has("multiple_of")) a.put("multiple_of", 32);
        return a;
    }

    /** BLT forward FLOPs per byte (entropy model apart) of an args tree at ctx bytes and ps bytes per patch. */
    static double bltForward(ObjectNode args, int ctx, double ps) {
        return Flops.bltPerByte(Training.bind(args, BltArgs.class), ctx, ps).total();
    }

    /** An LM's forward FLOPs per byte at ctx positions of bytesPerPosition bytes each. */
    static double lmForward(ObjectNode args, int ctx, double bytesPerPosition) {
        return Flops.lmPerPosition(Training.bind(args, LmArgs.class), ctx).total() / bytesPerPosition;
    }

    /** The BLT args (dim_global re-sized) whose forward FLOPs per byte at ps are closest to target. */
    static ObjectNode sizeGlobal(ObjectNode args, int ctx, double ps, double target, String what) {
        int heads = args.path("n_heads_global").asInt(8);
        int step = 2 * heads;
        int best = solve(d -> {
            ObjectNode a = args.deepCopy();
            a.put("dim_global", d);
            return bltForward(a, ctx, ps);
        }, step, target, what);
        ObjectNode a = args.deepCopy();
        a.put("dim_global", best);
        return a;
    }

    /** The LM args (dim re-sized) whose forward FLOPs per byte are closest to target. */
    static ObjectNode sizeLm(JsonNode lm, int vocabSize, int ctx, double bytesPerPosition, double target, String what) {
        if (!lm.has("n_heads") || !lm.has("n_layers"))
            throw new Blt4jException("study config: lm needs n_layers and n_heads (dim is sized by the study)");
        int step = 2 * lm.get("n_heads").asInt();
        int best = solve(d -> lmForward(lmArgs(lm, d, vocabSize, ctx), ctx, bytesPerPosition), step, target, what);
        return lmArgs(lm, best, vocabSize, ctx);
    }

    /** The multiple of step in [step, MAX_DIM] whose cost is closest to target; refused beyond the tolerance. */
    static int solve(IntToDoubleFunction cost, int step, double target, String what) {
        if (step < 2) throw new Blt4jException("study: " + what + ": heads must be >= 1");
        int best = -1;
        double bestErr = Double.POSITIVE_INFINITY;
        for (int d = step; d <= MAX_DIM; d += step) {
            double c = cost.applyAsDouble(d);
            double err = Math.abs(c / target - 1);
            if (err < bestErr) {
                bestErr = err;
                best = d;
            }
            if (c > target * 2) break;    // cost grows with the width
        }
        if (bestErr > TOLERANCE)
            throw new Blt4jException(String.format("study: %s cannot be sized to the reference's %.3g forward FLOPs per byte"
                    + " within %.0f%% (closest: width %d, %+.1f%%); change its layers or heads in the study config",
                    what, target, TOLERANCE * 100, best, (cost.applyAsDouble(best) / target - 1) * 100));
        return best;
    }
}
