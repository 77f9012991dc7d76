package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The element-wise and attention kernels the models call, vectorized with the Vector API. Each has a scalar twin in
 * {@link NaiveKernels} that tests compare against (agreement ~1e-6 relative: sums run in float lanes instead of double,
 * exp is {@link VecMath#exp}, within 2 ulp of Math.exp; both deterministic across JIT tiers). Large calls are split
 * over {@link Parallel}.
 */
public final class Ops {
    private Ops() {}

    static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    static final int L = S.length();
    /** element-wise calls below this many elements stay on one thread */
    private static final int PAR_CHUNK = 1 << 15;

    /** out[r,:] = x[r,:] / sqrt(mean(x[r,:]²) + eps) * w, for rows×dim. */
    public static void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] out, int outOff, int rows, int dim, float eps) {
        Parallel.forEach(rows, 4L * rows * dim, r -> rmsNormRow(x, xOff + r * dim, w, wOff, out, outOff + r * dim, dim, eps));
    }

    private static void rmsNormRow(float[] x, int xi, float[] w, int wi, float[] out, int oi, int dim, float eps) {
        int vn = S.loopBound(dim), i = 0;
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        for (; i + L < vn; i += 2 * L) {
            FloatVector v0 = FloatVector.fromArray(S, x, xi + i), v1 = FloatVector.fromArray(S, x, xi + i + L);
            s0 = v0.fma(v0, s0);
            s1 = v1.fma(v1, s1);
        }
        for (; i < vn; i += L) {
            FloatVector v = FloatVector.fromArray(S, x, xi + i);
            s0 = v.fma(v, s0);
        }
        double ss = VecMath.sum(s0.add(s1));
        for (; i < dim; i++) ss += (double) x[xi + i] * x[xi + i];
        float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
        for (i = 0; i < vn; i += L)
            FloatVector.fromArray(S, x, xi + i).mul(inv).mul(FloatVector.fromArray(S, w, wi + i)).intoArray(out, oi + i);
        for (; i < dim; i++) out[oi + i] = x[xi + i] * inv * w[wi + i];
    }

    /**
     * Backward of {@link #rmsNorm} over rows × dim (x, dy, dx row-major from 0): with r = 1/sqrt(mean(x²) + eps)
     * recomputed per row, dw[woff + i] += Σ_rows dy·x·r and dx += r·(dy∘w) − x·r³/dim · Σ(dy∘w∘x). Rows in parallel
     * for dx; dw summed over rows in order afterwards (deterministic).
     */
    public static void rmsNormBackward(float[] x, float[] dy, float[] w, int wOff, int rows, int dim, float eps,
                                       float[] dx, float[] dw) {
        float[] r = new float[rows];
        Parallel.forEach(rows, 8L * rows * dim, row -> {
            int o = row * dim, vn = S.loopBound(dim), i = 0;
            FloatVector ss = FloatVector.zero(S), dot = FloatVector.zero(S);
            for (; i < vn; i += L) {
                FloatVector xv = FloatVector.fromArray(S, x, o + i);
                ss = xv.fma(xv, ss);
                dot = FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, w, wOff + i)).fma(xv, dot);
            }
            double s2 = VecMath.sum(ss), d = VecMath.sum(dot);
            for (int j = i; j < dim; j++) {
                s2 += (double) x[o + j] * x[o + j];
                d += (double) dy[o + j] * w[wOff + j] * x[o + j];
            }
            float ri = (float) (1.0 / Math.sqrt(s2 / dim + eps)), c = (float) (d * ri * ri * ri / dim);
            r[row] = ri;
            for (i = 0; i < vn; i += L) {
                FloatVector g = FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, w, wOff + i)).mul(ri);
                g.sub(FloatVector.fromArray(S, x, o + i).mul(c)).add(FloatVector.fromArray(S, dx, o + i)).intoArray(dx, o + i);
            }
            for (; i < dim; i++) dx[o + i] += ri * dy[o + i] * w[wOff + i] - c * x[o + i];
        });
        int vn = S.loopBound(dim);
        for (int row = 0; row < rows; row++) {
            int o = row * dim, i = 0;
            float ri = r[row];
            for (; i < vn; i += L)
                FloatVector.fromArray(S, dy, o + i).mul(FloatVector.fromArray(S, x, o + i)).mul(ri)
                        .add(FloatVector.fromArray(S, dw, wOff + i)).intoArray(dw, wOff + i);
            for (; i < dim; i++) dw[wOff + i] += dy[o + i] * x[o + i] * ri;
        }
    }

    /** In-place softmax of x[off..off+n). */
    public static void softmax(float[] x, int off, int n) {
        if (n <= 0) return;
        int vn = S.loopBound(n), i = 0;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; i < vn; i += L) mv = mv.max(FloatVector.fromArray(S, x, off + i));
        float max = mv.reduceLanes(VectorOperators.MAX);
        for (; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector sv = FloatVector.zero(S);
        for (i = 0; i < vn; i += L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, x, off + i).sub(max));
            e.intoArray(x, off + i);
            sv = sv.add(e);
        }
        double sum = VecMath.sum(sv);
        for (; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (i = 0; i < vn; i += L) FloatVector.fromArray(S, x, off + i).mul(inv).intoArray(x, off + i);
        for (; i < n; i++) x[off + i] *= inv;
    }

    /**
     * out = silu(a) * b, n elements. The last partial vector goes through the same lane arithmetic (masked) as the
     * others, not a scalar loop with another exp: an element's bits do not depend on where it lies in the array, so a
     * row gives the same bits alone or in a batch [B, hidden] whatever hidden is modulo the lanes.
     */
    public static void swiglu(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        int chunks = (n + PAR_CHUNK - 1) / PAR_CHUNK;
        Parallel.forEach(chunks, 20L * n, c -> {
            int from = c * PAR_CHUNK, to = Math.min(n, from + PAR_CHUNK), vn = from + S.loopBound(to - from), i = from;
            for (; i < vn; i += L)
                silu(FloatVector.fromArray(S, a, aOff + i)).mul(FloatVector.fromArray(S, b, bOff + i)).intoArray(out, outOff + i);
            if (i < to) {
                VectorMask<Float> m = S.indexInRange(i, to);
                silu(FloatVector.fromArray(S, a, aOff + i, m)).mul(FloatVector.fromArray(S, b, bOff + i, m))
                        .intoArray(out, outOff + i, m);
            }
        });
    }

    /**
     * Backward of {@link #swiglu}: given dg = ∂L/∂g for g = silu(a)·b, db = dg·silu(a) and
     * da = dg·b·σ(a)·(1 + a·(1 − σ(a))), n elements, lane-wise like the forward (masked last vector).
     */
    public static void swigluBackward(float[] a, float[] b, float[] dg, float[] da, float[] db, int n) {
        int chunks = (n + PAR_CHUNK - 1) / PAR_CHUNK;
        Parallel.forEach(chunks, 30L * n, c -> {
            int from = c * PAR_CHUNK, to = Math.min(n, from + PAR_CHUNK);
            int i = from;
            for (; i + L <= to; i += L) swigluGrad(a, b, dg, da, db, i, null);
            if (i < to) swigluGrad(a, b, dg, da, db, i, S.indexInRange(i, to));
        });
    }

    /** One vector of {@link #swigluBackward} at i; m: the lanes in range, null for all. */
    private static void swigluGrad(float[] a, float[] b, float[] dg, float[] da, float[] db, int i, VectorMask<Float> m) {
        FloatVector av = m == null ? FloatVector.fromArray(S, a, i) : FloatVector.fromArray(S, a, i, m);
        FloatVector g = m == null ? FloatVector.fromArray(S, dg, i) : FloatVector.fromArray(S, dg, i, m);
        FloatVector bv = m == null ? FloatVector.fromArray(S, b, i) : FloatVector.fromArray(S, b, i, m);
        FloatVector one = FloatVector.broadcast(S, 1f), sig = one.div(VecMath.exp(av.neg()).add(1f));
        FloatVector dbv = g.mul(av.mul(sig)), dav = g.mul(bv).mul(sig).mul(one.add(av.mul(one.sub(sig))));
        if (m == null) {
            dbv.intoArray(db, i);
            dav.intoArray(da, i);
        } else {
            dbv.intoArray(db, i, m);
            dav.intoArray(da, i, m);
        }
    }

    /** a / (1 + e^-a) lane-wise */
    private static FloatVector silu(FloatVector a) {
        return a.div(VecMath.exp(a.neg()).add(1f));
    }

    /** Interleaved RoPE in place on x[S, nHeads*headDim] at positions pos[S]. */
    public static void rope(float[] x, int off, int S, int nHeads, int headDim, int[] pos, double theta) {
        Rope.apply(x, off, S, nHeads, headDim, pos, theta);
    }

    /** Attention: q [Sq, nHeads*hd], k/v [Sk, nKv*hd] → out [Sq, nHeads*hd]; empty mask rows give 0. */
    public static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                                 int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        Attention.forward(q, qOff, k, kOff, v, vOff, out, outOff, Sq, Sk, nHeads, nKv, hd, mask);
    }

    /** y[i] += x[i], n elements. */
    public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
        int chunks = (n + PAR_CHUNK - 1) / PAR_CHUNK;
        Parallel.forEach(chunks, n, c -> {
            int from = c * PAR_CHUNK, to = Math.min(n, from + PAR_CHUNK), vn = from + S.loopBound(to - from), i = from;
            for (; i < vn; i += L)
                FloatVector.fromArray(S, y, yOff + i).add(FloatVector.fromArray(S, x, xOff + i)).intoArray(y, yOff + i);
            for (; i < to; i++) y[yOff + i] += x[xOff + i];
        });
    }
}
