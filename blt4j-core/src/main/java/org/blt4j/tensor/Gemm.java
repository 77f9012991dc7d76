package org.blt4j.tensor;

/**
 * Single-precision GEMM, BLAS conventions on row-major float arrays with offsets and leading dimensions:
 * C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C, where op(X) = X or Xᵀ.
 * With transB the B operand is stored [N,K] (a Linear weight [out,in]): y = x Wᵀ is sgemm(false, true, ...).
 * beta == 0 overwrites C without reading it (NaN garbage is fine); alpha == 0 or K == 0 only scales C by beta.
 * Runs on {@link Parallel}'s threads when the problem is large enough.
 */
public final class Gemm {
    private Gemm() {}

    /** Up to this many rows of op(A), streaming B through dot/axpy kernels beats packing it (measured crossover ~32). */
    static final int SMALL_M = 32;

    /** Fills buf [rows, K] with W rows [n0, n0 + rows) as fp32 (widened from bf16, dequantized from int8, ...). */
    interface RowWidener {
        void widen(int n0, int rows, float[] buf);
    }

    /** a widened block of W: 1 MiB of fp32, about a core's L2 */
    private static final int WIDE_BLOCK_FLOATS = 1 << 18;
    private static final ThreadLocal<float[]> WIDE = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * y [M, N] (row stride N, from yOff) = x [M, K] (row stride K, from xOff) · Wᵀ for a W [N, K] stored in another
     * format: blocks of W rows widened to fp32 by w into a per-thread buffer and multiplied by {@link #sgemm}, one
     * block per task. For many x rows (a prompt), where the product is compute-bound.
     */
    static void widenedRows(int M, int N, int K, float[] x, int xOff, RowWidener w, float[] y, int yOff) {
        int nb = Math.max(16, WIDE_BLOCK_FLOATS / Math.max(1, K) / 16 * 16), blocks = (N + nb - 1) / nb;
        Parallel.forEach(blocks, 2L * M * N * K, t -> {
            int n0 = t * nb, rows = Math.min(nb, N - n0);
            float[] buf = WIDE.get();
            if (buf.length < rows * K) WIDE.set(buf = new float[nb * K]);
            w.widen(n0, rows, buf);
            sgemm(false, true, M, rows, K, 1f, x, xOff, K, buf, 0, K, 0f, y, yOff + n0, N);
        });
    }

    public static void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                             float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                             float beta, float[] C, int cOff, int ldc) {
        if (M <= 0 || N <= 0) return;
        long timer = GemmTimer.start();
        try {
            dispatch(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
        } finally {
            GemmTimer.stop(timer);
        }
    }

    private static void dispatch(boolean transA, boolean transB, int M, int N, int K, float alpha,
                                 float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                                 float beta, float[] C, int cOff, int ldc) {
        if (K <= 0 || alpha == 0f) {
            scale(M, N, beta, C, cOff, ldc);
        } else if (M <= SMALL_M) {
            GemmSmallM.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
        } else {
            GemmBlocked.gemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
        }
    }

    /** y[M,N] = x[M,K] · W[N,K]ᵀ (a Linear layer without bias). */
    public static void linear(float[] x, int xOff, int M, int K, float[] W, int wOff, int N, float[] y, int yOff) {
        sgemm(false, true, M, N, K, 1f, x, xOff, K, W, wOff, K, 0f, y, yOff, N);
    }

    /**
     * y[M,N] = x[M,K] · W[N,K]ᵀ through the packed, register-tiled kernel whatever M (never the small-M path), so that
     * each output row's bits depend only on its own input row and W: a row gives the same bits alone or among any
     * other rows (the tile's sum over K runs in the same order for every row; K is split only by K itself).
     */
    public static void linearRowwise(float[] x, int xOff, int M, int K, float[] W, int wOff, int N, float[] y, int yOff) {
        if (M <= 0 || N <= 0) return;
        long timer = GemmTimer.start();
        try {
            if (K <= 0) scale(M, N, 0f, y, yOff, N);
            else GemmBlocked.gemm(false, true, M, N, K, 1f, x, xOff, K, W, wOff, K, 0f, y, yOff, N);
        } finally {
            GemmTimer.stop(timer);
        }
    }

    /** C = beta · C (beta == 0 writes zeros). */
    private static void scale(int M, int N, float beta, float[] C, int cOff, int ldc) {
        if (beta == 1f) return;
        for (int i = 0; i < M; i++)
            for (int j = 0, c = cOff + i * ldc; j < N; j++, c++) C[c] = beta == 0f ? 0f : beta * C[c];
    }
}
