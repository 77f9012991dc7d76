package org.blt4j.nn;

import org.blt4j.tensor.Gemm;

/** A bias-free linear layer: weight [out, in] stored at w[off..], y = x Wᵀ. Its gradient lives at grad[off..]. */
public record Linear(float[] w, int off, int out, int in) {
    /** y[M, out] = x[M, in] · Wᵀ */
    public void forward(float[] x, int xOff, int M, float[] y, int yOff) {
        Gemm.linear(x, xOff, M, in, w, off, out, y, yOff);
    }

    public float[] forward(float[] x, int M) {
        float[] y = new float[M * out];
        forward(x, 0, M, y, 0);
        return y;
    }

    /** dW[out, in] += dyᵀ x; dx[M, in] += dy W (dx may be null). */
    public void backward(float[] x, int xOff, float[] dy, int dyOff, int M, float[] dx, int dxOff, float[] grad) {
        Gemm.sgemm(true, false, out, in, M, 1f, dy, dyOff, out, x, xOff, in, 1f, grad, off, in);
        if (dx != null) Gemm.sgemm(false, false, M, in, out, 1f, dy, dyOff, out, w, off, in, 1f, dx, dxOff, in);
    }

    public void backward(float[] x, float[] dy, int M, float[] dx, float[] grad) {
        backward(x, 0, dy, 0, M, dx, 0, grad);
    }
}
