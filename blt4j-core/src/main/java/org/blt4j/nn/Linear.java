package org.blt4j.nn;

import org.blt4j.tensor.Gemm;

/** A bias-free linear layer: weight [out, in] stored at w[off..], y = x Wᵀ. */
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
}
