package org.blt4j.nn;

import org.blt4j.tensor.Ops;

/** RMSNorm: y = x · r · w with r = 1/sqrt(mean(x²) + eps), weight [dim] at w[off..] (gradient at grad[off..]). */
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

    /**
     * dw += Σ_rows dy·x·r ; dx += r·(dy∘w) − x·r³/dim · Σ(dy∘w∘x). r is recomputed from x ({@link Ops#rmsNormBackward}).
     */
    public void backward(float[] x, float[] dy, int rows, float[] dx, float[] grad) {
        Ops.rmsNormBackward(x, dy, w, off, rows, dim, eps, dx, grad);
    }
}
