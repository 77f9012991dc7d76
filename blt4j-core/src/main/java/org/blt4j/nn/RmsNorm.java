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
     * dw += Σ_rows dy·x·r ; dx += r·(dy∘w) − x·r³/dim · Σ(dy∘w∘x). r is recomputed from x.
     */
    public void backward(float[] x, float[] dy, int rows, float[] dx, float[] grad) {
        for (int row = 0; row < rows; row++) {
            int o = row * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[o + i] * x[o + i];
            float r = (float) (1.0 / Math.sqrt(ss / dim + eps));
            double dot = 0;
            for (int i = 0; i < dim; i++) {
                float gw = dy[o + i] * w[off + i];
                dot += (double) gw * x[o + i];
                grad[off + i] += dy[o + i] * x[o + i] * r;
            }
            float c = (float) (dot * r * r * r / dim);
            for (int i = 0; i < dim; i++) dx[o + i] += r * dy[o + i] * w[off + i] - c * x[o + i];
        }
    }
}
