package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * sgemm for a few rows of op(A) (decode: M = 1), where packing B would cost more than it saves. Both variants stream B
 * once per row of op(A) and split the N columns over the threads.
 * <ul>
 *   <li>transB, B = W [N,K]: y[i,n] = x_i · W_n, dot products along K, four W rows at a time;</li>
 *   <li>not transB, B [K,N]: y[i, n..n+32) = Σ_k x_i[k] · B[k, n..n+32), 32-column strips.</li>
 * </ul>
 */
final class GemmSmallM {
    private GemmSmallM() {}

    private static final VectorSpecies<Float> S = GemmKernel.S;
    private static final int L = S.length();

    static void gemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                     float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                     float beta, float[] C, int cOff, int ldc) {
        // the rows of op(A) as contiguous vectors x [M][K]
        float[] x = A;
        int xOff = aOff, ldx = lda;
        if (transA) {
            x = new float[M * K];
            for (int i = 0; i < M; i++)
                for (int k = 0; k < K; k++) x[i * K + k] = A[aOff + k * lda + i];
            xOff = 0;
            ldx = K;
        }
        float[] xs = x;
        int xo = xOff, lx = ldx;
        // column chunks: multiples of 4 W rows (transB) or 32 columns, at least 4 chunks per thread when parallel
        int unit = transB ? 4 : 4 * L, units = (N + unit - 1) / unit;
        int chunks = Math.min(units, 4 * Parallel.threads());
        Parallel.forEach(chunks, 2L * M * N * K, t -> {
            int n0 = Math.min(N, t * units / chunks * unit), n1 = Math.min(N, (t + 1) * units / chunks * unit);
            for (int i = 0; i < M; i++) {
                int xi = xo + i * lx, ci = cOff + i * ldc;
                if (transB) rowDots(xs, xi, K, B, bOff, ldb, n0, n1, alpha, beta, C, ci);
                else rowAxpy(xs, xi, K, B, bOff, ldb, n0, n1, alpha, beta, C, ci);
            }
        });
    }

    /** y[n] = alpha · x·W[n,:] + beta·y[n] for n in [n0, n1); W rows of length K at bOff + n*ldb. */
    private static void rowDots(float[] x, int xi, int K, float[] W, int wOff, int ldw, int n0, int n1,
                                float alpha, float beta, float[] y, int yi) {
        int kv = K - K % L, n = n0;
        for (; n + 4 <= n1; n += 4) {
            int w0 = wOff + n * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S),
                    s3 = FloatVector.zero(S);
            for (int k = 0; k < kv; k += L) {
                FloatVector xv = FloatVector.fromArray(S, x, xi + k);
                s0 = FloatVector.fromArray(S, W, w0 + k).fma(xv, s0);
                s1 = FloatVector.fromArray(S, W, w1 + k).fma(xv, s1);
                s2 = FloatVector.fromArray(S, W, w2 + k).fma(xv, s2);
                s3 = FloatVector.fromArray(S, W, w3 + k).fma(xv, s3);
            }
            float d0 = s0.reduceLanes(VectorOperators.ADD), d1 = s1.reduceLanes(VectorOperators.ADD),
                    d2 = s2.reduceLanes(VectorOperators.ADD), d3 = s3.reduceLanes(VectorOperators.ADD);
            for (int k = kv; k < K; k++) {
                float xk = x[xi + k];
                d0 += xk * W[w0 + k];
                d1 += xk * W[w1 + k];
                d2 += xk * W[w2 + k];
                d3 += xk * W[w3 + k];
            }
            store(y, yi + n, d0, alpha, beta);
            store(y, yi + n + 1, d1, alpha, beta);
            store(y, yi + n + 2, d2, alpha, beta);
            store(y, yi + n + 3, d3, alpha, beta);
        }
        for (; n < n1; n++) {
            int w = wOff + n * ldw;
            FloatVector s = FloatVector.zero(S);
            for (int k = 0; k < kv; k += L) s = FloatVector.fromArray(S, W, w + k).fma(FloatVector.fromArray(S, x, xi + k), s);
            float d = s.reduceLanes(VectorOperators.ADD);
            for (int k = kv; k < K; k++) d += x[xi + k] * W[w + k];
            store(y, yi + n, d, alpha, beta);
        }
    }

    /** y[n0 .. n1) = alpha · Σ_k x[k] · B[k, n0 .. n1) + beta·y; B rows at bOff + k*ldb. */
    private static void rowAxpy(float[] x, int xi, int K, float[] B, int bOff, int ldb, int n0, int n1,
                                float alpha, float beta, float[] y, int yi) {
        int n = n0;
        for (; n + 4 * L <= n1; n += 4 * L) {
            FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S), s2 = FloatVector.zero(S),
                    s3 = FloatVector.zero(S);
            for (int k = 0, b = bOff + n; k < K; k++, b += ldb) {
                FloatVector xk = FloatVector.broadcast(S, x[xi + k]);
                s0 = FloatVector.fromArray(S, B, b).fma(xk, s0);
                s1 = FloatVector.fromArray(S, B, b + L).fma(xk, s1);
                s2 = FloatVector.fromArray(S, B, b + 2 * L).fma(xk, s2);
                s3 = FloatVector.fromArray(S, B, b + 3 * L).fma(xk, s3);
            }
            store(y, yi + n, s0, alpha, beta);
            store(y, yi + n + L, s1, alpha, beta);
            store(y, yi + n + 2 * L, s2, alpha, beta);
            store(y, yi + n + 3 * L, s3, alpha, beta);
        }
        for (; n + L <= n1; n += L) {
            FloatVector s = FloatVector.zero(S);
            for (int k = 0, b = bOff + n; k < K; k++, b += ldb)
                s = FloatVector.fromArray(S, B, b).fma(FloatVector.broadcast(S, x[xi + k]), s);
            store(y, yi + n, s, alpha, beta);
        }
        for (; n < n1; n++) {
            float d = 0f;
            for (int k = 0, b = bOff + n; k < K; k++, b += ldb) d += x[xi + k] * B[b];
            store(y, yi + n, d, alpha, beta);
        }
    }

    private static void store(float[] y, int i, float d, float alpha, float beta) {
        y[i] = beta == 0f ? alpha * d : alpha * d + beta * y[i];
    }

    private static void store(float[] y, int i, FloatVector s, float alpha, float beta) {
        FloatVector v = s.mul(alpha);
        if (beta != 0f) v = FloatVector.fromArray(S, y, i).fma(FloatVector.broadcast(S, beta), v);
        v.intoArray(y, i);
    }
}
