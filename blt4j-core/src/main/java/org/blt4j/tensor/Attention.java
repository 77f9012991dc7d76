package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized scaled dot-product attention with grouped KV heads and range masks, the twin of
 * {@link NaiveKernels#attention}: q [Sq, nHeads*hd], k and v [Sk, nKv*hd], out [Sq, nHeads*hd]; query head h reads KV
 * head h / (nHeads/nKv); scale 1/sqrt(hd); query i sees keys [from(i), to(i)) clipped to [0, Sk), none → zeros.
 * Work is split over (query, head) pairs.
 */
final class Attention {
    private Attention() {}

    private static final VectorSpecies<Float> S = Ops.S;
    private static final int L = S.length();

    static void forward(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                        int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        float scale = (float) (1.0 / Math.sqrt(hd));
        int[] from = new int[Sq], to = new int[Sq];
        long flops = 0;
        for (int i = 0; i < Sq; i++) {
            from[i] = Math.max(0, mask.from(i));
            to[i] = Math.min(Sk, mask.to(i));
            flops += 4L * Math.max(0, to[i] - from[i]) * hd * nHeads;
        }
        int pairs = Sq * nHeads, chunks = Math.min(pairs, 16 * Parallel.threads());
        Parallel.forEach(chunks, flops, c -> {
            float[] scores = new float[Math.max(Sk, 1)];
            for (int t = (int) ((long) c * pairs / chunks), end = (int) ((long) (c + 1) * pairs / chunks); t < end; t++) {
                int i = t / nHeads, h = t % nHeads, kh = h / group;
                head(q, qOff + i * nHeads * hd + h * hd, k, kOff + kh * hd, v, vOff + kh * hd, nKv * hd,
                        out, outOff + i * nHeads * hd + h * hd, hd, from[i], to[i], scale, scores);
            }
        });
    }

    /**
     * One query row of one head: q at qi [hd]; key j's head slice at ki + j*ldkv (same for v); out at oi [hd].
     */
    private static void head(float[] q, int qi, float[] k, int ki, float[] v, int vi, int ldkv, float[] out, int oi,
                             int hd, int from, int to, float scale, float[] scores) {
        int n = to - from, hv = S.loopBound(hd);
        if (n <= 0) {
            for (int d = 0; d < hd; d++) out[oi + d] = 0f;
            return;
        }
        // scores[j - from] = q·k_j · scale, four keys at a time
        int j = from;
        for (; j + 4 <= to; j += 4) {
            int k0 = ki + j * ldkv, k1 = k0 + ldkv, k2 = k1 + ldkv, k3 = k2 + ldkv;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S),
                    s3 = FloatVector.zero(S);
            for (int d = 0; d < hv; d += L) {
                FloatVector qv = FloatVector.fromArray(S, q, qi + d);
                s0 = qv.fma(FloatVector.fromArray(S, k, k0 + d), s0);
                s1 = qv.fma(FloatVector.fromArray(S, k, k1 + d), s1);
                s2 = qv.fma(FloatVector.fromArray(S, k, k2 + d), s2);
                s3 = qv.fma(FloatVector.fromArray(S, k, k3 + d), s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD),
                    d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int d = hv; d < hd; d++) {
                float qd = q[qi + d];
                d0 += qd * k[k0 + d];
                d1 += qd * k[k1 + d];
                d2 += qd * k[k2 + d];
                d3 += qd * k[k3 + d];
            }
            scores[j - from] = d0 * scale;
            scores[j - from + 1] = d1 * scale;
            scores[j - from + 2] = d2 * scale;
            scores[j - from + 3] = d3 * scale;
        }
        for (; j < to; j++) {
            int kj = ki + j * ldkv;
            FloatVector s = FloatVector.zero(S);
            for (int d = 0; d < hv; d += L) s = FloatVector.fromArray(S, q, qi + d).fma(FloatVector.fromArray(S, k, kj + d), s);
            float dot = s.reduceLanes(VectorOperators.ADD);
            for (int d = hv; d < hd; d++) dot += q[qi + d] * k[kj + d];
            scores[j - from] = dot * scale;
        }
        Ops.softmax(scores, 0, n);
        // out[d..d+L) = Σ_j p_j · v_j[d..d+L), four partial sums over j
        for (int d = 0; d < hv; d += L) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                    a3 = FloatVector.zero(S);
            int jj = 0, vj = vi + from * ldkv + d;
            for (; jj + 4 <= n; jj += 4, vj += 4 * ldkv) {
                a0 = FloatVector.fromArray(S, v, vj).fma(FloatVector.broadcast(S, scores[jj]), a0);
                a1 = FloatVector.fromArray(S, v, vj + ldkv).fma(FloatVector.broadcast(S, scores[jj + 1]), a1);
                a2 = FloatVector.fromArray(S, v, vj + 2 * ldkv).fma(FloatVector.broadcast(S, scores[jj + 2]), a2);
                a3 = FloatVector.fromArray(S, v, vj + 3 * ldkv).fma(FloatVector.broadcast(S, scores[jj + 3]), a3);
            }
            for (; jj < n; jj++, vj += ldkv) a0 = FloatVector.fromArray(S, v, vj).fma(FloatVector.broadcast(S, scores[jj]), a0);
            a0.add(a1).add(a2.add(a3)).intoArray(out, oi + d);
        }
        for (int d = hv; d < hd; d++) {
            float acc = 0f;
            for (int jj = 0, vj = vi + from * ldkv + d; jj < n; jj++, vj += ldkv) acc += scores[jj] * v[vj];
            out[oi + d] = acc;
        }
    }
}
