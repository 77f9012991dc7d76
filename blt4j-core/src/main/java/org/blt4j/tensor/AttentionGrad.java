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

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;

    /** Queries per block: one pass over the block's key range serves them all through GEMMs. */
    static final int QB = 64;

    public static void backward(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                                int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        int[] from = new int[Sq], to = new int[Sq];
        long flops = 0;
        for (int i = 0; i < Sq; i++) {
            from[i] = Math.max(0, mask.from(i));
            to[i] = Math.min(Sk, mask.to(i));
            flops += 10L * Math.max(0, to[i] - from[i]) * hd * nHeads;
        }
        // one task per KV head: its query heads write dq columns of their own and dk/dv columns of this KV head only
        int[] starts = Attention.blockStarts(from, to, Sq, QB);
        Parallel.forEach(nKv, flops, kvh -> {
            for (int h = kvh * group; h < (kvh + 1) * group; h++)
                for (int b = 0; b + 1 < starts.length; b++)
                    block(q, k, v, dOut, dq, dk, dv, starts[b], starts[b + 1], h, kvh, nHeads, nKv, hd, from, to);
        });
    }

    /**
     * Queries [i0, i1) of head h against the union [j0, j1) of their key ranges, [nq, nk] matrices:
     * P = softmax(scale·Q Kᵀ) within each row's range; dP = dO Vᵀ; dS = P ∘ (dP − rowsum(P ∘ dP)) · scale;
     * dQ += dS K; dK += dSᵀ Q; dV += Pᵀ dO.
     */
    private static void block(float[] q, float[] k, float[] v, float[] dOut, float[] dq, float[] dk, float[] dv,
                              int i0, int i1, int h, int kvh, int nHeads, int nKv, int hd, int[] from, int[] to) {
        int j0 = Integer.MAX_VALUE, j1 = Integer.MIN_VALUE;
        for (int i = i0; i < i1; i++)
            if (to[i] > from[i]) {
                j0 = Math.min(j0, from[i]);
                j1 = Math.max(j1, to[i]);
            }
        if (j1 <= j0) return;                                 // no query of the block saw anything: no gradient
        int nq = i1 - i0, nk = j1 - j0, qs = nHeads * hd, ks = nKv * hd;
        int qo = i0 * qs + h * hd, ko = j0 * ks + kvh * hd;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] P = scratch(P_BUF, nq * nk), dP = scratch(DP_BUF, nq * nk);
        Gemm.sgemm(false, true, nq, nk, hd, scale, q, qo, qs, k, ko, ks, 0f, P, 0, nk);        // scale·Q Kᵀ
        Gemm.sgemm(false, true, nq, nk, hd, 1f, dOut, qo, qs, v, ko, ks, 0f, dP, 0, nk);      // dO Vᵀ
        for (int r = 0; r < nq; r++) {
            int i = i0 + r, a = Math.clamp(from[i] - j0, 0, nk), b = Math.clamp(to[i] - j0, a, nk), o = r * nk;
            java.util.Arrays.fill(P, o, o + a, 0f);                // outside the row's range: no probability, no gradient
            java.util.Arrays.fill(P, o + b, o + nk, 0f);
            java.util.Arrays.fill(dP, o, o + a, 0f);
            java.util.Arrays.fill(dP, o + b, o + nk, 0f);
            if (b > a) softmaxGrad(P, dP, o + a, b - a, scale);   // saw nothing: output was 0, no gradient flows
        }
        Gemm.sgemm(false, false, nq, hd, nk, 1f, dP, 0, nk, k, ko, ks, 1f, dq, qo, qs);       // dQ += dS K
        Gemm.sgemm(true, false, nk, hd, nq, 1f, dP, 0, nk, q, qo, qs, 1f, dk, ko, ks);        // dK += dSᵀ Q
        Gemm.sgemm(true, false, nk, hd, nq, 1f, P, 0, nk, dOut, qo, qs, 1f, dv, ko, ks);      // dV += Pᵀ dO
    }

    private static final ThreadLocal<float[]> P_BUF = ThreadLocal.withInitial(() -> new float[0]);
    private static final ThreadLocal<float[]> DP_BUF = ThreadLocal.withInitial(() -> new float[0]);

    private static float[] scratch(ThreadLocal<float[]> t, int n) {
        float[] b = t.get();
        if (b.length < n) t.set(b = new float[n]);
        return b;
    }

    /**
     * One query row over its n visible keys, in place: p ← softmax(p) (the forward's own {@link Ops#softmax}, so the
     * same probabilities to the bit), dp ← dS = p ∘ (dp − Σ p∘dp) · scale. Vectorized: the recompute was a scalar
     * exp per (query, key, head), a tenth of BLT training.
     */
    static void softmaxGrad(float[] p, float[] dp, int off, int n, float scale) {
        Ops.softmax(p, off, n);
        float mean = dot(p, off, dp, off, n);
        int i = 0, L = S.length();
        FloatVector m = FloatVector.broadcast(S, mean);
        for (int up = S.loopBound(n); i < up; i += L) {
            FloatVector pv = FloatVector.fromArray(S, p, off + i);
            pv.mul(FloatVector.fromArray(S, dp, off + i).sub(m)).mul(scale).intoArray(dp, off + i);
        }
        for (; i < n; i++) dp[off + i] = p[off + i] * (dp[off + i] - mean) * scale;
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
