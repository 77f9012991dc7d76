package org.blt4j.tensor;

/**
 * Single-precision GEMM, BLAS conventions on row-major float arrays with offsets and leading dimensions:
 * C[M,N] = alpha * op(A)[M,K] · op(B)[K,N] + beta * C, where op(X) = X or Xᵀ.
 * With transB the B operand is stored [N,K] (a Linear weight [out,in]): y = x Wᵀ is sgemm(false, true, ...).
 */
public final class Gemm {
    private Gemm() {}

    public static void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                             float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                             float beta, float[] C, int cOff, int ldc) {
        NaiveKernels.sgemm(transA, transB, M, N, K, alpha, A, aOff, lda, B, bOff, ldb, beta, C, cOff, ldc);
    }

    /** y[M,N] = x[M,K] · W[N,K]ᵀ (a Linear layer without bias). */
    public static void linear(float[] x, int xOff, int M, int K, float[] W, int wOff, int N, float[] y, int yOff) {
        sgemm(false, true, M, N, K, 1f, x, xOff, K, W, wOff, K, 0f, y, yOff, N);
    }
}
