package org.blt4j.tensor;

/**
 * Backward of masked scaled dot-product attention (GQA), recomputing the probabilities row by row
 * (no S×S matrix is kept). Shapes as in {@link Ops#attention}: q [Sq, nHeads*hd], k/v [Sk, nKv*hd], dOut [Sq, nHeads*hd].
 * Accumulates into dq, dk, dv (+=).
 */
public final class AttentionGrad {
    private AttentionGrad() {}

    public static void backward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                                int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        int qs = nHeads * hd, ks = nKv * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] p = new float[Math.max(1, Sk)];
        float[] dp = new float[Math.max(1, Sk)];
        for (int i = 0; i < Sq; i++) {
            int from = Math.max(0, mask.from(i)), to = Math.min(Sk, mask.to(i));
            if (to <= from) continue;                     // saw nothing: output was 0, no gradient flows
            int n = to - from;
            for (int h = 0; h < nHeads; h++) {
                int qo = i * qs + h * hd, kh = (h / group) * hd;
                // p = softmax(q·k * scale) over the visible keys
                float max = Float.NEGATIVE_INFINITY;
                for (int j = 0; j < n; j++) {
                    int ko = (from + j) * ks + kh;
                    float s = 0;
                    for (int d = 0; d < hd; d++) s += q[qo + d] * k[ko + d];
                    p[j] = s * scale;
                    max = Math.max(max, p[j]);
                }
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    p[j] = (float) Math.exp(p[j] - max);
                    sum += p[j];
                }
                float inv = (float) (1.0 / sum);
                // dv_j += p_j dO ; dp_j = dO·v_j ; ds_j = p_j (dp_j - Σ p dp)
                double pdp = 0;
                for (int j = 0; j < n; j++) {
                    p[j] *= inv;
                    int vo = (from + j) * ks + kh;
                    float dot = 0;
                    for (int d = 0; d < hd; d++) {
                        float g = dOut[qo + d];
                        dot += g * v[vo + d];
                        dv[vo + d] += p[j] * g;
                    }
                    dp[j] = dot;
                    pdp += (double) p[j] * dot;
                }
                for (int j = 0; j < n; j++) {
                    float ds = p[j] * (dp[j] - (float) pdp) * scale;
                    int ko = (from + j) * ks + kh;
                    for (int d = 0; d < hd; d++) {
                        dq[qo + d] += ds * k[ko + d];
                        dk[ko + d] += ds * q[qo + d];
                    }
                }
            }
        }
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
