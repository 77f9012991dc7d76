package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * sgemm for a few rows of op(A) (decode: M = 1), where packing B would cost more than the multiply. B is streamed
 * once: the N columns are split over the threads, and each piece of B is used for all M rows while it is in cache.
 * <ul>
 *   <li>transB, B = W [N,K]: y[i,n] = x_i · W_n, dot products along K for 4 W rows × 2 x rows at a time;</li>
 *   <li>not transB, B [K,N]: y[i, :] = Σ_k x_i[k] · B[k, :], B read row by row into L1-resident accumulators.</li>
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
        // column chunks: whole units of 4 W rows (transB) or 2L columns, a few chunks per thread
        int unit = transB ? 4 : 2 * L, units = (N + unit - 1) / unit;
        int chunks = Math.min(units, 4 * Parallel.threads());
        Parallel.forEach(chunks, 2L * M * N * K, t -> {
            int n0 = Math.min(N, t * units / chunks * unit), n1 = Math.min(N, (t + 1) * units / chunks * unit);
            if (transB) dots(M, K, xs, xo, lx, B, bOff, ldb, n0, n1, alpha, beta, C, cOff, ldc);
            else axpys(M, K, xs, xo, lx, B, bOff, ldb, n0, n1, alpha, beta, C, cOff, ldc);
        });
    }

    /** y[i,n] = alpha · x_i·W_n + beta·y[i,n] for all i < M, n in [n0, n1); x_i at xo + i*lx, W_n at wOff + n*ldw. */
    private static void dots(int M, int K, float[] x, int xo, int lx, float[] W, int wOff, int ldw, int n0, int n1,
                             float alpha, float beta, float[] y, int yOff, int ldy) {
        int kv = S.loopBound(K), n = n0;
        float[] d = new float[8];
        for (; n + 4 <= n1; n += 4) {
            int i = 0;
            for (; i + 2 <= M; i += 2) block2x4(K, kv, x, xo, lx, W, wOff, ldw, n, i, d, alpha, beta, y, yOff, ldy);
            if (i < M) block1x4(K, kv, x, xo, lx, W, wOff, ldw, n, i, d, alpha, beta, y, yOff, ldy);
        }
        for (; n < n1; n++) { // last W rows one at a time
            int w = wOff + n * ldw;
            for (int i = 0; i < M; i++) {
                int xa = xo + i * lx;
                FloatVector s = FloatVector.zero(S);
                for (int k = 0; k < kv; k += L)
                    s = FloatVector.fromArray(S, W, w + k).fma(FloatVector.fromArray(S, x, xa + k), s);
                float dot = VecMath.sum(s);
                for (int k = kv; k < K; k++) dot += x[xa + k] * W[w + k];
                store(y, yOff + i * ldy + n, dot, alpha, beta);
            }
        }
    }

    // The blocks are methods of their own so that each stays small enough for C2 to inline its lane sums: with both in
    // dots, once dots was recompiled for M >= 2 (after running with M = 1) VecMath.sum was left out of line and ran
    // the Vector API's Java fallback (FloatVector.lanewiseTemplate: a quarter of the samples when decoding 4 rows in
    // lockstep). Same operations in the same order as before.

    /** x rows i, i+1 × W rows n..n+3: 8 accumulators. */
    private static void block2x4(int K, int kv, float[] x, int xo, int lx, float[] W, int wOff, int ldw, int n, int i,
                                 float[] d, float alpha, float beta, float[] y, int yOff, int ldy) {
        int w0 = wOff + n * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        int xa = xo + i * lx, xb = xa + lx;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                a3 = FloatVector.zero(S), b0 = FloatVector.zero(S), b1 = FloatVector.zero(S),
                b2 = FloatVector.zero(S), b3 = FloatVector.zero(S);
        for (int k = 0; k < kv; k += L) {
            FloatVector xav = FloatVector.fromArray(S, x, xa + k), xbv = FloatVector.fromArray(S, x, xb + k);
            FloatVector v0 = FloatVector.fromArray(S, W, w0 + k), v1 = FloatVector.fromArray(S, W, w1 + k),
                    v2 = FloatVector.fromArray(S, W, w2 + k), v3 = FloatVector.fromArray(S, W, w3 + k);
            a0 = v0.fma(xav, a0);
            a1 = v1.fma(xav, a1);
            a2 = v2.fma(xav, a2);
            a3 = v3.fma(xav, a3);
            b0 = v0.fma(xbv, b0);
            b1 = v1.fma(xbv, b1);
            b2 = v2.fma(xbv, b2);
            b3 = v3.fma(xbv, b3);
        }
        d[0] = VecMath.sum(a0);
        d[1] = VecMath.sum(a1);
        d[2] = VecMath.sum(a2);
        d[3] = VecMath.sum(a3);
        d[4] = VecMath.sum(b0);
        d[5] = VecMath.sum(b1);
        d[6] = VecMath.sum(b2);
        d[7] = VecMath.sum(b3);
        for (int k = kv; k < K; k++) {
            float xk = x[xa + k], xl = x[xb + k];
            d[0] += xk * W[w0 + k];
            d[1] += xk * W[w1 + k];
            d[2] += xk * W[w2 + k];
            d[3] += xk * W[w3 + k];
            d[4] += xl * W[w0 + k];
            d[5] += xl * W[w1 + k];
            d[6] += xl * W[w2 + k];
            d[7] += xl * W[w3 + k];
        }
        for (int j = 0; j < 4; j++) {
            store(y, yOff + i * ldy + n + j, d[j], alpha, beta);
            store(y, yOff + (i + 1) * ldy + n + j, d[4 + j], alpha, beta);
        }
    }

    /** x row i × W rows n..n+3: 4 accumulators. */
    private static void block1x4(int K, int kv, float[] x, int xo, int lx, float[] W, int wOff, int ldw, int n, int i,
                                 float[] d, float alpha, float beta, float[] y, int yOff, int ldy) {
        int w0 = wOff + n * ldw, w1 = w0 + ldw, w2 = w1 + ldw, w3 = w2 + ldw;
        int xa = xo + i * lx;
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                a3 = FloatVector.zero(S);
        for (int k = 0; k < kv; k += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xa + k);
            a0 = FloatVector.fromArray(S, W, w0 + k).fma(xv, a0);
            a1 = FloatVector.fromArray(S, W, w1 + k).fma(xv, a1);
            a2 = FloatVector.fromArray(S, W, w2 + k).fma(xv, a2);
            a3 = FloatVector.fromArray(S, W, w3 + k).fma(xv, a3);
        }
        d[0] = VecMath.sum(a0);
        d[1] = VecMath.sum(a1);
        d[2] = VecMath.sum(a2);
        d[3] = VecMath.sum(a3);
        for (int k = kv; k < K; k++) {
            float xk = x[xa + k];
            d[0] += xk * W[w0 + k];
            d[1] += xk * W[w1 + k];
            d[2] += xk * W[w2 + k];
            d[3] += xk * W[w3 + k];
        }
        for (int j = 0; j < 4; j++) store(y, yOff + i * ldy + n + j, d[j], alpha, beta);
    }

    /** columns per strip of the axpy variant: M rows of accumulators stay in L1 */
    private static final int STRIP = 256;

    /**
     * y[i, n0..n1) = alpha · Σ_k x_i[k] · B[k, n0..n1) + beta·y for all i < M; B rows at bOff + k*ldb. B is read row
     * by row (walking down a column strip would touch a new page every row), 4 rows at a time, into accumulator rows
     * acc [M][STRIP].
     */
    private static void axpys(int M, int K, float[] x, int xo, int lx, float[] B, int bOff, int ldb, int n0, int n1,
                              float alpha, float beta, float[] y, int yOff, int ldy) {
        float[] acc = new float[M * STRIP];
        for (int s0 = n0; s0 < n1; s0 += STRIP) {
            int w = Math.min(STRIP, n1 - s0), wv = S.loopBound(w);
            java.util.Arrays.fill(acc, 0f);
            int k = 0;
            for (; k + 4 <= K; k += 4) {
                int b0 = bOff + k * ldb + s0, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
                for (int i = 0; i < M; i++) {
                    int xi = xo + i * lx + k, ai = i * STRIP;
                    float x0 = x[xi], x1 = x[xi + 1], x2 = x[xi + 2], x3 = x[xi + 3];
                    FloatVector v0 = FloatVector.broadcast(S, x0), v1 = FloatVector.broadcast(S, x1),
                            v2 = FloatVector.broadcast(S, x2), v3 = FloatVector.broadcast(S, x3);
                    int v = 0;
                    for (; v < wv; v += L) {
                        FloatVector a = FloatVector.fromArray(S, acc, ai + v);
                        a = FloatVector.fromArray(S, B, b0 + v).fma(v0, a);
                        a = FloatVector.fromArray(S, B, b1 + v).fma(v1, a);
                        a = FloatVector.fromArray(S, B, b2 + v).fma(v2, a);
                        a = FloatVector.fromArray(S, B, b3 + v).fma(v3, a);
                        a.intoArray(acc, ai + v);
                    }
                    for (; v < w; v++)
                        acc[ai + v] += x0 * B[b0 + v] + x1 * B[b1 + v] + x2 * B[b2 + v] + x3 * B[b3 + v];
                }
            }
            for (; k < K; k++) {
                int b0 = bOff + k * ldb + s0;
                for (int i = 0; i < M; i++) {
                    int ai = i * STRIP;
                    float x0 = x[xo + i * lx + k];
                    for (int v = 0; v < w; v++) acc[ai + v] += x0 * B[b0 + v];
                }
            }
            for (int i = 0; i < M; i++)
                for (int v = 0; v < w; v++) store(y, yOff + i * ldy + s0 + v, acc[i * STRIP + v], alpha, beta);
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
