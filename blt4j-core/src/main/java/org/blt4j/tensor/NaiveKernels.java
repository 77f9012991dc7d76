package org.blt4j.tensor;

/** Plain scalar reference kernels: the ground truth the vectorized kernels are tested against. */
public final class NaiveKernels {
    private NaiveKernels() {}

    public static void sgemm(boolean transA, boolean transB, int M, int N, int K, float alpha,
                             float[] A, int aOff, int lda, float[] B, int bOff, int ldb,
                             float beta, float[] C, int cOff, int ldc) {
        for (int i = 0; i < M; i++) {
            for (int j = 0; j < N; j++) {
                double acc = 0;
                for (int k = 0; k < K; k++) {
                    float a = transA ? A[aOff + k * lda + i] : A[aOff + i * lda + k];
                    float b = transB ? B[bOff + j * ldb + k] : B[bOff + k * ldb + j];
                    acc += (double) a * b;
                }
                int c = cOff + i * ldc + j;
                C[c] = (float) (alpha * acc + (beta == 0f ? 0f : beta * C[c]));
            }
        }
    }

    /** out[r,:] = x[r,:] / sqrt(mean(x[r,:]²) + eps) * w, rows of length dim. */
    public static void rmsNorm(float[] x, int xOff, float[] w, int wOff, float[] out, int outOff, int rows, int dim, float eps) {
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int i = 0; i < dim; i++) {
                float v = x[xOff + r * dim + i];
                ss += (double) v * v;
            }
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) out[outOff + r * dim + i] = x[xOff + r * dim + i] * inv * w[wOff + i];
        }
    }

    /** In-place softmax of row x[off..off+n). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = (float) (1.0 / sum);
        for (int i = 0; i < n; i++) x[off + i] *= inv;
    }

    public static float silu(float x) {
        return x / (1f + (float) Math.exp(-x));
    }

    /** out[i] = silu(a[i]) * b[i] (the SwiGLU gate), n elements. */
    public static void swiglu(float[] a, int aOff, float[] b, int bOff, float[] out, int outOff, int n) {
        for (int i = 0; i < n; i++) out[outOff + i] = silu(a[aOff + i]) * b[bOff + i];
    }

    /**
     * Interleaved RoPE, in place on x[S, nHeads*headDim]: pairs (2j, 2j+1) of each head rotate by pos[s] * freq_j,
     * freq_j = theta^(-2j/headDim).
     */
    public static void rope(float[] x, int off, int S, int nHeads, int headDim, int[] pos, double theta) {
        for (int s = 0; s < S; s++) {
            for (int h = 0; h < nHeads; h++) {
                int base = off + s * nHeads * headDim + h * headDim;
                for (int j = 0; j < headDim / 2; j++) {
                    float freq = (float) (1.0 / Math.pow(theta, (2.0 * j) / headDim));
                    float angle = (float) pos[s] * freq;
                    float c = (float) Math.cos(angle), sn = (float) Math.sin(angle);
                    float x0 = x[base + 2 * j], x1 = x[base + 2 * j + 1];
                    x[base + 2 * j] = x0 * c - x1 * sn;
                    x[base + 2 * j + 1] = x0 * sn + x1 * c;
                }
            }
        }
    }

    /**
     * Scaled dot-product attention with grouped KV heads.
     * q [Sq, nHeads*hd], k and v [Sk, nKv*hd], out [Sq, nHeads*hd]. Query head h uses KV head h / (nHeads/nKv).
     * A query whose mask range is empty outputs zeros.
     */
    public static void attention(float[] q, int qOff, float[] k, int kOff, float[] v, int vOff, float[] out, int outOff,
                                 int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask) {
        int group = nHeads / nKv;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] scores = new float[Math.max(Sk, 1)];
        for (int i = 0; i < Sq; i++) {
            int from = Math.max(0, mask.from(i)), to = Math.min(Sk, mask.to(i));
            for (int h = 0; h < nHeads; h++) {
                int o = outOff + i * nHeads * hd + h * hd;
                for (int d = 0; d < hd; d++) out[o + d] = 0f;
                if (to <= from) continue;
                int kh = h / group;
                for (int j = from; j < to; j++) {
                    double dot = 0;
                    for (int d = 0; d < hd; d++)
                        dot += (double) q[qOff + i * nHeads * hd + h * hd + d] * k[kOff + j * nKv * hd + kh * hd + d];
                    scores[j - from] = (float) dot * scale;
                }
                softmax(scores, 0, to - from);
                for (int j = from; j < to; j++) {
                    float p = scores[j - from];
                    for (int d = 0; d < hd; d++) out[o + d] += p * v[vOff + j * nKv * hd + kh * hd + d];
                }
            }
        }
    }
}
