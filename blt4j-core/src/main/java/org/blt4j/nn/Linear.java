package org.blt4j.nn;

import java.lang.foreign.MemorySegment;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.Bf16Gemm;
import org.blt4j.tensor.FlopCounter;
import org.blt4j.tensor.Gemm;
import org.blt4j.tensor.Int8Gemm;
import org.blt4j.tensor.Int8Matrix;

/**
 * A bias-free linear layer: weight [out, in] stored at w[off..], y = x Wᵀ. Its gradient lives at grad[off..].
 * Or, for inference on a checkpoint kept mapped, the weight as bf16 [out, in] in {@code bf16} (w is then null): each
 * product widens the weights to fp32 as it streams them ({@link Bf16Gemm}). Or the weight quantized to int8 with
 * per-block scales ({@code int8}, from an int8 checkpoint, docs/int8.md), read by {@link Int8Gemm}. The bf16 and
 * int8 forms are for inference only: {@link #backward} refuses them.
 */
public record Linear(float[] w, int off, int out, int in, MemorySegment bf16, Int8Matrix int8) {

    public Linear(float[] w, int off, int out, int in) {
        this(w, off, out, in, null, null);
    }

    public Linear {
        int forms = (w != null ? 1 : 0) + (bf16 != null ? 1 : 0) + (int8 != null ? 1 : 0);
        if (forms != 1) throw new IllegalArgumentException("a Linear needs exactly one of w, bf16 and int8");
        if (bf16 != null && bf16.byteSize() != 2L * out * in)
            throw new IllegalArgumentException("bf16 weight of " + bf16.byteSize() + " bytes for [" + out + ", " + in + "]");
        if (int8 != null && (int8.rows() != out || int8.cols() != in))
            throw new IllegalArgumentException("int8 weight [" + int8.rows() + ", " + int8.cols() + "] for [" + out + ", " + in + "]");
    }

    /** A layer reading its bf16 weight [out, in] in place. */
    public static Linear bf16(MemorySegment weight, int out, int in) {
        return new Linear(null, 0, out, in, weight, null);
    }

    /** A layer reading its int8 weight [out, in] (and scales) in place. */
    public static Linear int8(Int8Matrix weight) {
        return new Linear(null, 0, weight.rows(), weight.cols(), null, weight);
    }

    /** Bytes of weight one product streams (an int8 weight's scales included). */
    public long weightBytes() {
        if (int8 != null) return int8.bytes();
        return (long) out * in * (bf16 != null ? 2 : 4);
    }

    /** y[M, out] = x[M, in] · Wᵀ */
    public void forward(float[] x, int xOff, int M, float[] y, int yOff) {
        FlopCounter.linear(M, out, in);
        if (bf16 != null) Bf16Gemm.linear(x, xOff, M, in, bf16, out, y, yOff);
        else if (int8 != null) Int8Gemm.linear(x, xOff, M, int8, y, yOff);
        else Gemm.linear(x, xOff, M, in, w, off, out, y, yOff);
    }

    /**
     * y[i][M, layers[i].out] = x[M, in] · W_iᵀ for layers that read the same x: with bf16 (or int8) weights one
     * streamed pass over all of them ({@link Bf16Gemm#linearMany}, {@link Int8Gemm#linearMany}), else one product each.
     */
    public static void forwardMany(Linear[] layers, float[] x, int xOff, int M, float[][] y) {
        boolean mapped = true, int8 = true;
        for (Linear l : layers) {
            mapped &= l.bf16 != null && l.in == layers[0].in;
            int8 &= l.int8 != null && l.in == layers[0].in;
        }
        if (int8) {
            for (Linear l : layers) FlopCounter.linear(M, l.out, l.in);
            Int8Matrix[] w = new Int8Matrix[layers.length];
            for (int i = 0; i < layers.length; i++) w[i] = layers[i].int8;
            Int8Gemm.linearMany(x, xOff, M, w, y, new int[layers.length]);
            return;
        }
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
        if (int8 != null) throw new Blt4jException("a model with int8 weights is for inference only: train the fp32/bf16 checkpoint it was quantized from");
        Gemm.sgemm(true, false, out, in, M, 1f, dy, dyOff, out, x, xOff, in, 1f, grad, off, in);
        if (dx != null) Gemm.sgemm(false, false, M, in, out, 1f, dy, dyOff, out, w, off, in, 1f, dx, dxOff, in);
    }

    public void backward(float[] x, float[] dy, int M, float[] dx, float[] grad) {
        backward(x, 0, dy, 0, M, dx, 0, grad);
    }
}
