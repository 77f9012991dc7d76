package org.blt4j.nn;

import java.lang.foreign.MemorySegment;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.Bf16Gemm;
import org.blt4j.tensor.FlopCounter;
import org.blt4j.tensor.Gemm;

/**
 * A bias-free linear layer: weight [out, in] stored at w[off..], y = x Wᵀ. Its gradient lives at grad[off..].
 * Or, for inference on a checkpoint kept mapped, the weight as bf16 [out, in] in {@code bf16} (w is then null): each
 * product widens the weights to fp32 as it streams them ({@link Bf16Gemm}).
 */
public record Linear(float[] w, int off, int out, int in, MemorySegment bf16) {

    public Linear(float[] w, int off, int out, int in) {
        this(w, off, out, in, null);
    }

    public Linear {
        if ((w == null) == (bf16 == null)) throw new IllegalArgumentException("a Linear needs exactly one of w and bf16");
        if (bf16 != null && bf16.byteSize() != 2L * out * in)
            throw new IllegalArgumentException("bf16 weight of " + bf16.byteSize() + " bytes for [" + out + ", " + in + "]");
    }

    /** A layer reading its bf16 weight [out, in] in place. */
    public static Linear bf16(MemorySegment weight, int out, int in) {
        return new Linear(null, 0, out, in, weight);
    }

    /** Bytes of weight one product streams. */
    public long weightBytes() {
        return (long) out * in * (bf16 != null ? 2 : 4);
    }

    /** y[M, out] = x[M, in] · Wᵀ */
    public void forward(float[] x, int xOff, int M, float[] y, int yOff) {
        FlopCounter.linear(M, out, in);
        if (bf16 != null) Bf16Gemm.linear(x, xOff, M, in, bf16, out, y, yOff);
        else Gemm.linear(x, xOff, M, in, w, off, out, y, yOff);
    }

    /**
     * y[i][M, layers[i].out] = x[M, in] · W_iᵀ for layers that read the same x: with bf16 weights one streamed pass
     * over all of them ({@link Bf16Gemm#linearMany}), else one product each.
     */
    public static void forwardMany(Linear[] layers, float[] x, int xOff, int M, float[][] y) {
        boolean mapped = true;
        for (Linear l : layers) mapped &= l.bf16 != null && l.in == layers[0].in;
        if (!mapped) {
            for (int i = 0; i < layers.length; i++) layers[i].forward(x, xOff, M, y[i], 0);
            return;
        }
        for (Linear l : layers) FlopCounter.linear(M, l.out, l.in);
        MemorySegment[] w = new MemorySegment[layers.length];
        int[] n = new int[layers.length], yOff = new int[layers.length];
        for (int i = 0; i < layers.length; i++) {
            w[i] = layers[i].bf16;
            n[i] = layers[i].out;
        }
        Bf16Gemm.linearMany(x, xOff, M, layers[0].in, w, n, y, yOff);
    }

    public float[] forward(float[] x, int M) {
        float[] y = new float[M * out];
        forward(x, 0, M, y, 0);
        return y;
    }

    /** dW[out, in] += dyᵀ x; dx[M, in] += dy W (dx may be null). */
    public void backward(float[] x, int xOff, float[] dy, int dyOff, int M, float[] dx, int dxOff, float[] grad) {
        if (bf16 != null) throw new Blt4jException("a model with mapped bf16 weights is for inference only: load it with fp32 weights to train");
        Gemm.sgemm(true, false, out, in, M, 1f, dy, dyOff, out, x, xOff, in, 1f, grad, off, in);
        if (dx != null) Gemm.sgemm(false, false, M, in, out, 1f, dy, dyOff, out, w, off, in, 1f, dx, dxOff, in);
    }

    public void backward(float[] x, float[] dy, int M, float[] dx, float[] grad) {
        backward(x, 0, dy, 0, M, dx, 0, grad);
    }
}
