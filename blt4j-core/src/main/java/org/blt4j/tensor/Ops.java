package org.blt4j.tensor;

/**
 * The element-wise and attention kernels the models call. Each has a scalar twin in {@link NaiveKernels} that tests
 * compare against.
 */
public final class Ops {
    private Ops() {}

    /** out[r,:] = x[r,:] / sqrt(mean(x[r,:]²) + eps) * w, for rows×dim. */
    public static void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] out, int outOff, int rows, int dim, float eps) {
        NaiveKernels.rmsNorm(x, xOff, w, wOff, out, outOff, rows, dim, eps);
    }

    /** In-place softmax of x[off..off+n). */
    public static void softmax(float[] x, int off, int n) {
        NaiveKernels.softmax(x, off, n);
    }

    /** out = silu(a) * b, n elements. */
    public static void swiglu(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        NaiveKernels.swiglu(a, aOff, b, bOff, out, outOff, n);
    }

    /** Interleaved RoPE in place on x[S, nHeads*headDim] at positions pos[S]. */
    public static void rope(float[] x, int off, int S, int nHeads, int headDim, int[] pos, double theta) {
        NaiveKernels.rope(x, off, S, nHeads, headDim, pos, theta);
    }

    /** Attention: q [Sq, nHeads*hd], k/v [Sk, nKv*hd] → out [Sq, nHeads*hd]; empty mask rows give 0. */
    public static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                                 int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        NaiveKernels.attention(q, qOff, k, kOff, v, vOff, out, outOff, Sq, Sk, nHeads, nKv, hd, mask);
    }

    /** y[i] += x[i], n elements. */
    public static void addInPlace(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) y[yOff + i] += x[xOff + i];
    }
}
