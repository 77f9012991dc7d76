package org.blt4j.nn;

import org.blt4j.tensor.Ops;

/** RMSNorm: x / sqrt(mean(x²) + eps) * weight, weight [dim] at w[off..]. */
public record RmsNorm(float[] w, int off, int dim, float eps) {
    /** out[rows, dim] = norm(x[rows, dim]) */
    public void forward(float[] x, int xOff, int rows, float[] out, int outOff) {
        Ops.rmsNorm(x, xOff, w, off, out, outOff, rows, dim, eps);
    }

    public float[] forward(float[] x, int rows) {
        float[] out = new float[rows * dim];
        forward(x, 0, rows, out, 0);
        return out;
    }
}
