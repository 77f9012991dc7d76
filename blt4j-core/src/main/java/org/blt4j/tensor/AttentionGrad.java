package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward of masked scaled dot-product attention (GQA), recomputing the probabilities row by row
 * (no S×S matrix is kept). Shapes as in {@link Ops#attention}: q [Sq, nHeads*hd], k/v [Sk, nKv*hd], dOut [Sq, nHeads*hd].
 * Accumulates into dq, dk, dv (+=).
 */
public final class AttentionGrad {
    private AttentionGrad() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    public static void backward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                                int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        long flops = 10L * Sq * Sk * hd * nHeads;
        // one task per KV head: its query heads write dq rows of their own and dk/dv of this KV head only
        Parallel.forEach(nKv, flops, kvh -> {
            // this KV head's keys and values transposed, [hd][Sk], so that every inner loop runs along keys
            float[] kT = transpose(k, Sk, nKv * hd, kvh * hd, hd), vT = transpose(v, Sk, nKv * hd, kvh * hd, hd);
            float[] dkT = new float[hd * Sk], dvT = new float[hd * Sk];
            float[] p = new float[Math.max(1, Sk)], dp = new float[Math.max(1, Sk)];
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
                for (int i = 0; i < Sq; i++) row(q, dOut, dq, kT, vT, dkT, dvT, i, h, nHeads, hd, mask, Sk, p, dp);
            untransposeAdd(dkT, dk, Sk, nKv * hd, kvh * hd, hd);
            untransposeAdd(dvT, dv, Sk, nKv * hd, kvh * hd, hd);
        });
    }

    /** xT[d][j] = x[j, off + d] for a head's slice of x [S, stride]. */
    static float[] transpose(float[] x, int S, int stride, int off, int hd) {
        float[] t = new float[hd * S];
        for (int j = 0; j < S; j++)
            for (int d = 0; d < hd; d++) t[d * S + j] = x[j * stride + off + d];
        return t;
    }

    static void untransposeAdd(float[] t, float[] x, int S, int stride, int off, int hd) {
        for (int j = 0; j < S; j++)
            for (int d = 0; d < hd; d++) x[j * stride + off + d] += t[d * S + j];
    }

    private static void row(float[] q, float[] dOut, float[] dq, float[] kT, float[] vT, float[] dkT, float[] dvT,
                            int i, int h, int nHeads, int hd, AttnMask mask, int Sk, float[] p, float[] dp) {
        int from = Math.max(0, mask.from(i)), to = Math.min(Sk, mask.to(i));
        if (to <= from) return;                           // saw nothing: output was 0, no gradient flows
        int n = to - from, qo = i * nHeads * hd + h * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        // s_j = q·k_j, dp_j = dO·v_j, both along the keys
        java.util.Arrays.fill(p, 0, n, 0f);
        java.util.Arrays.fill(dp, 0, n, 0f);
        for (int d = 0; d < hd; d++) {
            axpy(q[qo + d], kT, d * Sk + from, p, 0, n);
            axpy(dOut[qo + d], vT, d * Sk + from, dp, 0, n);
        }
        float max = Float.NEGATIVE_INFINITY;
        for (int j = 0; j < n; j++) max = Math.max(max, p[j] * scale);
        double sum = 0;
        for (int j = 0; j < n; j++) {
            p[j] = (float) Math.exp(p[j] * scale - max);
            sum += p[j];
        }
        float inv = (float) (1.0 / sum);
        double pdp = 0;
        for (int j = 0; j < n; j++) {
            p[j] *= inv;
            pdp += (double) p[j] * dp[j];
        }
        // ds_j = p_j (dp_j − Σ p dp) · scale, reusing dp
        float mean = (float) pdp;
        for (int j = 0; j < n; j++) dp[j] = p[j] * (dp[j] - mean) * scale;
        for (int d = 0; d < hd; d++) {
            dq[qo + d] += dot(dp, 0, kT, d * Sk + from, n);            // dq = Σ ds_j k_j
            axpy(q[qo + d], dp, 0, dkT, d * Sk + from, n);            // dk_j += ds_j q
            axpy(dOut[qo + d], p, 0, dvT, d * Sk + from, n);          // dv_j += p_j dO
        }
    }

    /** Σ a[ao+d]·b[bo+d], lanes summed in a fixed order (deterministic). */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int d = 0;
        float s = 0;
        if (n >= S.length()) {
            FloatVector acc = FloatVector.zero(S);
            for (int up = S.loopBound(n); d < up; d += S.length())
                acc = FloatVector.fromArray(S, a, ao + d).fma(FloatVector.fromArray(S, b, bo + d), acc);
            for (int l = 0; l < S.length(); l++) s += acc.lane(l);
        }
        for (; d < n; d++) s += a[ao + d] * b[bo + d];
        return s;
    }

    /** y[yo..yo+n) += alpha · x[xo..xo+n). */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int d = 0;
        FloatVector va = FloatVector.broadcast(S, alpha);
        for (int up = S.loopBound(n); d < up; d += S.length())
            FloatVector.fromArray(S, x, xo + d).fma(va, FloatVector.fromArray(S, y, yo + d)).intoArray(y, yo + d);
        for (; d < n; d++) y[yo + d] += alpha * x[xo + d];
    }

    /**
     * Backward of interleaved RoPE (in place on the gradient dx [S, nHeads*headDim]): the transpose of a rotation is
     * the rotation by the opposite angle, computed with the same float angles as the forward.
     */
    public static void ropeBackward(float[] dx, int off, int S, int nHeads, int headDim, int[] pos, double theta) {
        float[] freq = new float[headDim / 2];
        for (int j = 0; j < headDim / 2; j++) freq[j] = (float) (1.0 / Math.pow(theta, (2.0 * j) / headDim));
        for (int s = 0; s < S; s++) {
            for (int j = 0; j < headDim / 2; j++) {
                float angle = (float) pos[s] * freq[j];
                float c = (float) Math.cos(angle), sn = (float) Math.sin(angle);
                for (int h = 0; h < nHeads; h++) {
                    int b = off + s * nHeads * headDim + h * headDim + 2 * j;
                    float g0 = dx[b], g1 = dx[b + 1];
                    dx[b] = g0 * c + g1 * sn;
                    dx[b + 1] = -g0 * sn + g1 * c;
                }
            }
        }
    }
}
