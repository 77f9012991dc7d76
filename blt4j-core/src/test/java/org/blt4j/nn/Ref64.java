package org.blt4j.nn;

/**
 * Float64 re-implementations of each layer's forward, written from docs/computation.md §4–5 (not from the float32 code), for the
 * finite differences of the gradient checks. Parameters come as a double copy of a {@link ParamStore}'s flat buffer;
 * the store only supplies names, offsets and shapes. Masks are predicates written from their definitions, not the
 * key ranges of {@code AttnMask}.
 */
public final class Ref64 {
    private Ref64() {}

    /** Whether query i may attend to key j. */
    public interface Visible {
        boolean sees(int i, int j);
    }

    public static Visible causal() {
        return (i, j) -> j <= i;
    }

    /** i sees j iff j ≤ i, i − j < window, and no document ends (EOS, inclusive) at a position in [j, i). */
    public static Visible localBlockCausal(boolean[] endsDoc, int window) {
        return (i, j) -> {
            if (j > i || i - j >= window) return false;
            for (int t = j; t < i; t++) if (endsDoc[t]) return false;
            return true;
        };
    }

    /** The patch holding byte b: the p with lengths[0] + … + lengths[p−1] ≤ b < lengths[0] + … + lengths[p]. */
    public static int patchOf(int[] lengths, int b) {
        int end = 0;
        for (int p = 0; p < lengths.length; p++) {
            end += lengths[p];
            if (b < end) return p;
        }
        return lengths.length;
    }

    /** Encoder cross-attention: slot s (patch s / k) sees byte j iff j lies in one of patches s/k − w + 1 … s/k. */
    public static Visible patchesAsQueries(int[] lengths, int k, int window) {
        int w = Math.max(1, window);
        return (s, j) -> {
            int p = s / k, pj = patchOf(lengths, j);
            return pj <= p && pj > p - w;
        };
    }

    /**
     * Decoder cross-attention: byte i reads patch dp = (patch holding byte i + 1) − 1, and sees slot s iff s / k is
     * one of dp − w + 1 … dp.
     */
    public static Visible bytesAsQueries(int[] lengths, int k, int window) {
        int w = Math.max(1, window);
        return (i, s) -> {
            int dp = patchOf(lengths, i + 1) - 1, p = s / k;
            return p <= dp && p > dp - w;
        };
    }

    /** y[M, out] = x[M, in] · Wᵀ, W = the parameter w [out, in]. */
    public static double[] linear(double[] x, int M, double[] p, ParamStore.Param w) {
        int out = w.rows(), in = w.cols(), off = w.offset();
        double[] y = new double[M * out];
        for (int m = 0; m < M; m++)
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) s += x[m * in + i] * p[off + o * in + i];
                y[m * out + o] = s;
            }
        return y;
    }

    /** x · 1/sqrt(mean(x²) + eps) · weight, per row. */
    public static double[] rmsNorm(double[] x, int rows, double[] p, ParamStore.Param w, double eps) {
        int dim = w.rows();
        double[] y = new double[rows * dim];
        for (int r = 0; r < rows; r++) {
            double ms = 0;
            for (int i = 0; i < dim; i++) ms += x[r * dim + i] * x[r * dim + i];
            double inv = 1 / Math.sqrt(ms / dim + eps);
            for (int i = 0; i < dim; i++) y[r * dim + i] = x[r * dim + i] * inv * p[w.offset() + i];
        }
        return y;
    }

    /** SwiGLU: w2(silu(w1 x) · w3 x). */
    public static double[] feedForward(double[] x, int S, double[] p, ParamStore ps, String prefix) {
        double[] a = linear(x, S, p, ps.get(prefix + "w1.weight"));
        double[] b = linear(x, S, p, ps.get(prefix + "w3.weight"));
        double[] g = new double[a.length];
        for (int i = 0; i < g.length; i++) g[i] = a[i] / (1 + Math.exp(-a[i])) * b[i];
        return linear(g, S, p, ps.get(prefix + "w2.weight"));
    }

    /** Interleaved RoPE on x [S, nHeads*hd]: pair (2j, 2j+1) rotates by pos[s] · theta^(−2j/hd). */
    public static void rope(double[] x, int S, int nHeads, int hd, int[] pos, double theta) {
        for (int s = 0; s < S; s++)
            for (int h = 0; h < nHeads; h++)
                for (int j = 0; j < hd / 2; j++) {
                    double angle = pos[s] * Math.pow(theta, -2.0 * j / hd);
                    int b = (s * nHeads + h) * hd + 2 * j;
                    double x0 = x[b], x1 = x[b + 1];
                    x[b] = x0 * Math.cos(angle) - x1 * Math.sin(angle);
                    x[b + 1] = x0 * Math.sin(angle) + x1 * Math.cos(angle);
                }
    }

    /**
     * softmax(q kᵀ / sqrt(hd)) v over the visible keys; query head h reads KV head h / (nHeads / nKv); a query that
     * sees no key outputs 0.
     */
    public static double[] attention(double[] q, double[] k, double[] v, int Sq, int Sk, int nHeads, int nKv, int hd,
                                     Visible vis) {
        double[] out = new double[Sq * nHeads * hd];
        double[] score = new double[Sk];
        for (int i = 0; i < Sq; i++)
            for (int h = 0; h < nHeads; h++) {
                int kvh = h / (nHeads / nKv);
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < Sk; j++) {
                    if (!vis.sees(i, j)) continue;
                    double s = 0;
                    for (int d = 0; d < hd; d++) s += q[(i * nHeads + h) * hd + d] * k[(j * nKv + kvh) * hd + d];
                    score[j] = s / Math.sqrt(hd);
                    max = Math.max(max, score[j]);
                }
                if (max == Double.NEGATIVE_INFINITY) continue;          // nothing visible: 0
                double z = 0;
                for (int j = 0; j < Sk; j++) if (vis.sees(i, j)) z += Math.exp(score[j] - max);
                for (int j = 0; j < Sk; j++) {
                    if (!vis.sees(i, j)) continue;
                    double pr = Math.exp(score[j] - max) / z;
                    for (int d = 0; d < hd; d++) out[(i * nHeads + h) * hd + d] += pr * v[(j * nKv + kvh) * hd + d];
                }
            }
        return out;
    }

    /** wo(attention(rope(wq x), rope(wk x), wv x)), x [S, dim] (already normed). */
    public static double[] selfAttention(double[] x, int S, double[] p, ParamStore ps, String prefix, int nHeads, int nKv,
                                         int hd, double theta, int[] pos, Visible vis) {
        double[] q = linear(x, S, p, ps.get(prefix + "wq.weight"));
        double[] k = linear(x, S, p, ps.get(prefix + "wk.weight"));
        double[] v = linear(x, S, p, ps.get(prefix + "wv.weight"));
        rope(q, S, nHeads, hd, pos, theta);
        rope(k, S, nKv, hd, pos, theta);
        return linear(attention(q, k, v, S, S, nHeads, nKv, hd, vis), S, p, ps.get(prefix + "wo.weight"));
    }

    /** 2x + wo(attention(wq norm_q(x), wk norm_kv(kv), wv norm_kv(kv))): no RoPE, head_dim = dim / nHeads. */
    public static double[] crossAttention2(double[] x, int Sq, double[] kv, int Sk, double[] p, ParamStore ps,
                                           String prefix, int nHeads, double eps, Visible vis) {
        ParamStore.Param wo = ps.get(prefix + "wo.weight");
        int dim = wo.rows(), hd = dim / nHeads;
        double[] xq = rmsNorm(x, Sq, p, ps.get(prefix + "cross_attn_norm_q.weight"), eps);
        double[] xkv = rmsNorm(kv, Sk, p, ps.get(prefix + "cross_attn_norm_kv.weight"), eps);
        double[] q = linear(xq, Sq, p, ps.get(prefix + "wq.weight"));
        double[] k = linear(xkv, Sk, p, ps.get(prefix + "wk.weight"));
        double[] v = linear(xkv, Sk, p, ps.get(prefix + "wv.weight"));
        double[] out = linear(attention(q, k, v, Sq, Sk, nHeads, nHeads, hd, vis), Sq, p, wo);
        for (int i = 0; i < out.length; i++) out[i] += 2 * x[i];
        return out;
    }

    /** Pre-norm Llama block: h = x + attn(norm(x)); out = h + ffn(norm(h)). */
    public static double[] block(double[] x, int S, double[] p, ParamStore ps, String prefix, TransformerBlock.Dims d,
                                 int[] pos, Visible vis) {
        double[] a = selfAttention(rmsNorm(x, S, p, ps.get(prefix + "attention_norm.weight"), d.normEps()), S, p, ps,
                prefix + "attention.", d.nHeads(), d.nKv(), d.headDim(), d.ropeTheta(), pos, vis);
        double[] h = new double[x.length];
        for (int i = 0; i < h.length; i++) h[i] = x[i] + a[i];
        double[] f = feedForward(rmsNorm(h, S, p, ps.get(prefix + "ffn_norm.weight"), d.normEps()), S, p, ps,
                prefix + "feed_forward.");
        for (int i = 0; i < h.length; i++) h[i] += f[i];
        return h;
    }

    /** Σ_i w_i · (logsumexp(logits_i) − logits_i[y_i]) over N rows of V logits. */
    public static double crossEntropy(double[] logits, int[] y, float[] w, int N, int V) {
        double total = 0;
        for (int i = 0; i < N; i++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[i * V + v]);
            double z = 0;
            for (int v = 0; v < V; v++) z += Math.exp(logits[i * V + v] - max);
            total += w[i] * (max + Math.log(z) - logits[i * V + y[i]]);
        }
        return total;
    }
}
