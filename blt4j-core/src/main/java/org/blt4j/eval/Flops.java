package org.blt4j.eval;

import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;

/**
 * Forward-pass FLOP accounting, as written out in docs/flops.md (a multiply-add counts 2; norms, RoPE, softmax,
 * SwiGLU's gate, residual adds and embedding look-ups are left out). Linear layers are counted exactly; attention
 * (QKᵀ and PV) as 4·nHeads·headDim per visible key, with the mean number of keys a query of a causal row of ctx
 * positions sees under a window of w keys ({@link #avgKeys}); documents (EOS) are ignored. Per-patch work is divided
 * by the average patch size ps; the patch-level means assume ctx/ps patches of ps bytes each. Training costs
 * {@link #TRAINING_FACTOR}× the forward pass (backward = 2× forward).
 */
public final class Flops {
    private Flops() {}

    /** Training FLOPs = this × forward FLOPs. */
    public static final double TRAINING_FACTOR = 3;

    /** One Llama block at one position: wq, wk, wv, wo, SwiGLU (w1, w3, w2), attention over avgKeys keys. */
    static double block(int dim, int nHeads, int nKv, int headDim, int hidden, double avgKeys) {
        return blockMatmul(dim, nHeads, nKv, headDim, hidden) + attention(nHeads, headDim, avgKeys);
    }

    static double blockMatmul(int dim, int nHeads, int nKv, int headDim, int hidden) {
        double proj = 2.0 * dim * (nHeads * headDim) * 2 + 2.0 * dim * (nKv * headDim) * 2;   // wq, wo; wk, wv
        return proj + 2.0 * dim * hidden * 3;                                                   // w1, w3, w2
    }

    /** QKᵀ and PV of one query over keys keys: 2·hd each per head and key. */
    static double attention(int nHeads, int headDim, double keys) {
        return 4.0 * nHeads * headDim * keys;
    }

    /**
     * Mean visible keys per query of a causal row of ctx positions under a window of w keys (query i sees
     * max(0, i−w+1)..i): Σ_{i&lt;ctx} min(i+1, w) / ctx = (w(w+1)/2 + (ctx−w)·w) / ctx with w ≤ ctx.
     */
    public static double avgKeys(int ctx, int window) {
        if (ctx <= 0) throw new IllegalArgumentException("context must be positive, got " + ctx);
        if (window <= 0) throw new IllegalArgumentException("attention window must be positive, got " + window);
        long w = Math.min(window, ctx);
        return (w * (w + 1) / 2.0 + (double) (ctx - w) * w) / ctx;
    }

    /** A forward cost split into its linear layers and its attention (QKᵀ, PV). */
    public record Parts(double matmul, double attention) {
        public double total() { return matmul + attention; }
    }

    /** A Llama LM (entropy model or token LM) per position at context ctx positions: layers and output layer. */
    public static Parts lmPerPosition(LmArgs a, int ctx) {
        double keys = avgKeys(ctx, a.window());
        double mm = a.nLayers() * blockMatmul(a.dim(), a.nHeads(), a.nKvHeads(), a.headDim(), a.ffnHidden())
                + 2.0 * a.dim() * a.vocabSize();                                                 // output [V, dim]
        return new Parts(mm, a.nLayers() * attention(a.nHeads(), a.headDim(), keys));
    }

    /** Entropy model FLOPs per byte at context ctx bytes. */
    public static double entropyModelPerByte(LmArgs a, int ctx) {
        return lmPerPosition(a, ctx).total();
    }

    /**
     * The entropy pass's forward FLOPs per byte of a long document: every position sees a full window of keys (without
     * a window, the mean over max_seqlen positions); shorter documents cost less ({@link #entropyForwardOfDocument}).
     */
    public static double entropyForwardPerByte(LmArgs a) {
        int ctx = a.window() == Integer.MAX_VALUE ? Math.max(1, a.maxSeqlen()) : a.window();
        Parts p = lmPerPosition(a, ctx);
        double keys = a.window() == Integer.MAX_VALUE ? avgKeys(ctx, a.window()) : a.window();
        return p.matmul() + a.nLayers() * attention(a.nHeads(), a.headDim(), keys);
    }

    /** Entropy model forward FLOPs of one document of n positions passed alone (position i sees min(i+1, window) keys). */
    public static double entropyForwardOfDocument(LmArgs a, long n) {
        if (n <= 0) return 0;
        int ctx = (int) Math.min(n, Integer.MAX_VALUE);
        return lmPerPosition(a, ctx).total() * n;
    }

    /** A token LM's forward cost: per token, and per byte given the measured bytes per token. */
    public record TokenLmFlops(double perToken, double bytesPerToken) {
        public double perByte() { return perToken / bytesPerToken; }
        public double trainingPerByte() { return TRAINING_FACTOR * perByte(); }
    }

    /** Token LM (vocabSize = V_tok) at context ctx tokens, bytesPerToken measured on the data. */
    public static TokenLmFlops tokenLm(LmArgs a, int ctx, double bytesPerToken) {
        if (!(bytesPerToken > 0) || Double.isInfinite(bytesPerToken))
            throw new IllegalArgumentException("bytes per token must be positive and finite, got " + bytesPerToken);
        return new TokenLmFlops(lmPerPosition(a, ctx).total(), bytesPerToken);
    }

    /** Breakdown of BLT forward FLOPs per byte; attention is the share of the total spent in QKᵀ and PV. */
    public record BltFlops(double encoder, double global, double decoder, double attention, double patchSize) {
        public double total() { return encoder + global + decoder; }
        public double matmul() { return total() - attention; }
    }

    /** The BLT's cost per byte with its entropy model's forward cost (patching) reported apart. */
    public record BltCost(BltFlops blt, double entropyModel) {
        /** BLT forward FLOPs per byte, without the entropy model. */
        public double forwardPerByte() { return blt.total(); }
        /** BLT plus entropy model, forward, per byte. */
        public double forwardWithEntropyModel() { return blt.total() + entropyModel; }
        /** Training the BLT: 3× its forward (the entropy model, trained apart, only patches: not included). */
        public double trainingPerByte() { return TRAINING_FACTOR * blt.total(); }
    }

    /** BLT cost at ctx bytes and mean patch size ps, with the entropy model at ctx bytes apart. */
    public static BltCost bltCost(BltArgs a, LmArgs entropy, int ctx, double ps) {
        return new BltCost(bltPerByte(a, ctx, ps), entropyModelPerByte(entropy, ctx));
    }

    /** BLT FLOPs per byte at context ctx bytes and average patch size ps. */
    public static BltFlops bltPerByte(BltArgs a, int ctx, double ps) {
        if (!(ps > 0) || Double.isInfinite(ps)) throw new IllegalArgumentException("mean patch size must be positive, got " + ps);
        int de = a.dimLocalEncoder(), dd = a.dimLocalDecoder(), dg = a.dimGlobal(), k = a.crossAttnK();
        int nPatches = (int) Math.ceil(ctx / ps - 1e-9);
        double localKeys = avgKeys(ctx, a.localWindow()), patchKeys = avgKeys(nPatches, Integer.MAX_VALUE);
        // cross-attention windows in patches; with ctx/ps patches of ps bytes, a byte (decoder) or a slot's patch
        // (encoder) sees avgKeys(nPatches, w) patches on average
        double encWin = avgKeys(nPatches, window(a.crossAttnWindowEncoder()));
        double decWin = avgKeys(nPatches, window(a.crossAttnWindowDecoder()));

        int hE = a.nHeadsLocalEncoder(), hD = a.nHeadsLocalDecoder();
        double encMm = a.nLayersLocalEncoder() * blockMatmul(de, hE, hE, de / hE, a.ffnHidden(de));
        double encAt = a.nLayersLocalEncoder() * attention(hE, de / hE, localKeys);
        int nCrossEnc = a.crossAttnAllLayersEncoder() ? a.nLayersLocalEncoder() : 1;
        // encoder cross-attention: wk, wv per byte; wq, wo per slot (k per patch); a slot sees ps·encWin bytes
        encMm += nCrossEnc * (2.0 * de * de * 2 + 2.0 * de * de * 2 * k / ps);
        double encCross = nCrossEnc * 4.0 * de * k * encWin;            // (k/ps slots per byte) · ps·encWin keys
        encMm += 2.0 * de * (de * k) / ps;                              // patch_embedding_projection [de·k, de] per patch

        double globMm = a.nLayersGlobal() * blockMatmul(dg, a.nHeadsGlobal(), a.nKvHeadsGlobal(), dg / a.nHeadsGlobal(), a.ffnHidden(dg));
        if (a.hasGlobalInputProjection()) globMm += 2.0 * (de * k) * dg;    // token_embedding_projection [dg, de·k]
        double globAt = a.nLayersGlobal() * attention(a.nHeadsGlobal(), dg / a.nHeadsGlobal(), patchKeys);
        globMm /= ps;
        globAt /= ps;

        double decMm = a.nLayersLocalDecoder() * blockMatmul(dd, hD, hD, dd / hD, a.ffnHidden(dd));
        double decAt = a.nLayersLocalDecoder() * attention(hD, dd / hD, localKeys);
        int nCrossDec = a.crossAttnAllLayersDecoder() ? a.nLayersLocalDecoder() : 1;
        // decoder cross-attention: wq, wo per byte; wk, wv per slot; a byte sees k·decWin slots
        decMm += nCrossDec * (2.0 * dd * dd * 2 + 2.0 * dd * dd * 2 * k / ps);
        double decCross = nCrossDec * 4.0 * dd * k * decWin;
        decMm += 2.0 * dg * (dd * k) / ps + 2.0 * dd * a.vocabSize();   // patch_embedding_projection [dd·k, dg]; output
        double att = encAt + encCross + globAt + decAt + decCross;
        return new BltFlops(encMm + encAt + encCross, globMm + globAt, decMm + decAt + decCross, att, ps);
    }

    /** cross_attn_window_* as a number of patches: absent or ≤ 0 means 1 (the own patch), as in model.Masks. */
    private static int window(Integer w) {
        return w == null || w <= 0 ? 1 : w;
    }
}
