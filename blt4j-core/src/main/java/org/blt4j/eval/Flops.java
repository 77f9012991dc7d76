package org.blt4j.eval;

import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;

/**
 * Forward-pass FLOP accounting (a multiply-add counts 2). Matmuls are counted exactly; attention (QKᵀ and PV)
 * as 4·dim per visible key, with the average number of visible keys of a causal row of length ctx under window w:
 * min(w, (ctx+1)/2). Per-patch work is divided by the average patch size. Training costs about 3× these figures.
 */
public final class Flops {
    private Flops() {}

    /** One Llama block at one position: attention projections, SwiGLU, attention over avgKeys keys. */
    static double block(int dim, int nHeads, int nKv, int hidden, double avgKeys) {
        int hd = dim / nHeads;
        double proj = 2.0 * dim * (nHeads * hd) * 2 + 2.0 * dim * (nKv * hd) * 2;   // wq, wo, wk, wv
        double ffn = 2.0 * dim * hidden * 3;
        double attn = 4.0 * nHeads * hd * avgKeys;
        return proj + ffn + attn;
    }

    static double avgKeys(int ctx, int window) {
        return Math.min(window, (ctx + 1) / 2.0);
    }

    /** Entropy model FLOPs per byte at context ctx. */
    public static double entropyModelPerByte(LmArgs a, int ctx) {
        double keys = avgKeys(ctx, a.window());
        return a.nLayers() * block(a.dim(), a.nHeads(), a.nKvHeads(), a.ffnHidden(), keys) + 2.0 * a.dim() * a.vocabSize();
    }

    /** Breakdown of BLT forward FLOPs per byte. */
    public record BltFlops(double encoder, double global, double decoder, double patchSize) {
        public double total() { return encoder + global + decoder; }
    }

    /** BLT FLOPs per byte at context ctx bytes and average patch size ps. */
    public static BltFlops bltPerByte(BltArgs a, int ctx, double ps) {
        int de = a.dimLocalEncoder(), dd = a.dimLocalDecoder(), dg = a.dimGlobal(), k = a.crossAttnK();
        double localKeys = avgKeys(ctx, a.localWindow());
        double enc = a.nLayersLocalEncoder() * block(de, a.nHeadsLocalEncoder(), a.nHeadsLocalEncoder(), a.ffnHidden(de), localKeys);
        int nCrossEnc = a.crossAttnAllLayersEncoder() ? a.nLayersLocalEncoder() : 1;
        // encoder cross-attention: k/v per byte, q/o per slot (k per patch), each slot sees its patch's bytes
        double crossEnc = 2.0 * de * de * 2 + (2.0 * de * de * 2 * k) / ps + 4.0 * de * k;
        enc += nCrossEnc * crossEnc + 2.0 * de * de * k / ps;               // + pooling projection per patch
        double patchKeys = avgKeys((int) Math.ceil(ctx / ps), Integer.MAX_VALUE);
        double glob = a.nLayersGlobal() * block(dg, a.nHeadsGlobal(), a.nKvHeadsGlobal(), a.ffnHidden(dg), patchKeys);
        if (a.hasGlobalInputProjection()) glob += 2.0 * de * k * dg;
        glob /= ps;
        double dec = a.nLayersLocalDecoder() * block(dd, a.nHeadsLocalDecoder(), a.nHeadsLocalDecoder(), a.ffnHidden(dd), localKeys);
        int nCrossDec = a.crossAttnAllLayersDecoder() ? a.nLayersLocalDecoder() : 1;
        // decoder cross-attention: q/o per byte, k/v per slot, each byte sees k slots
        double crossDec = 2.0 * dd * dd * 2 + (2.0 * dd * dd * 2 * k) / ps + 4.0 * dd * k;
        dec += nCrossDec * crossDec + 2.0 * dg * dd * k / ps + 2.0 * dd * a.vocabSize();
        return new BltFlops(enc, glob, dec, ps);
    }
}
