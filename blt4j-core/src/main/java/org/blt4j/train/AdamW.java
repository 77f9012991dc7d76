package org.blt4j.train;

import java.util.stream.IntStream;
import org.blt4j.Blt4jException;

/**
 * AdamW over one flat fp32 parameter buffer (docs/computation.md §5), as PyTorch computes it: {@code clip_grad_norm_} and then
 * {@code torch.optim.AdamW}'s single-tensor step (foreach=False), weight decay on every parameter.
 *
 * <p>At step t = 1, 2, ...:
 * <ol>
 *   <li>clip: norm = sqrt(Σ g²) (summed in double); c = clip / (norm + 1e-6); if c &lt; 1 every g *= c. The norm
 *       before clipping is returned. clip ≤ 0 turns clipping off (the norm is still computed and returned).
 *   <li>per element, in float, in PyTorch's order: {@code p *= 1 - lr·wd}; {@code m = lerp(m, g, 1-β1)} (PyTorch's
 *       {@code exp_avg.lerp_}, one fused multiply-add: m + (1-β1)·(g - m)); {@code v = v·β2 + (1-β2)·g·g};
 *       {@code p += -(lr / (1-β1^t)) · m / (sqrt(v) / sqrt(1-β2^t) + eps)}. Bias corrections are computed in double
 *       and used as float scalars, as PyTorch does.
 * </ol>
 * The element loop runs on two threads for large buffers; every element is computed the same way either way, and
 * the norm is summed in fixed blocks, so results do not depend on the thread count.
 */
public final class AdamW {
    /** Hyper-parameters; the reference's defaults are {@link #defaults()}. */
    public record Config(double beta1, double beta2, double eps, double weightDecay, double clip) {
        public Config {
            if (!(beta1 >= 0 && beta1 < 1)) throw new Blt4jException("AdamW: beta1 must be in [0, 1), got " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new Blt4jException("AdamW: beta2 must be in [0, 1), got " + beta2);
            if (!(eps > 0) || Double.isInfinite(eps)) throw new Blt4jException("AdamW: eps must be > 0, got " + eps);
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay))
                throw new Blt4jException("AdamW: weight_decay must be >= 0, got " + weightDecay);
            if (Double.isNaN(clip) || Double.isInfinite(clip))
                throw new Blt4jException("AdamW: clip must be a number (<= 0 for no clipping), got " + clip);
        }

        /** β1 0.9, β2 0.95, eps 1e-8, weight decay 0.1, clip 1.0 (bytelatent/optim.py's OptimArgs). */
        public static Config defaults() {
            return new Config(0.9, 0.95, 1e-8, 0.1, 1.0);
        }
    }

    private static final int PARALLEL_MIN = 1 << 18;   // elements; below this one thread is faster
    private static final int BLOCK = 1 << 16;          // elements per block of the norm's partial sums

    private final Config config;
    private final float[] m;                           // exp_avg    [n]
    private final float[] v;                           // exp_avg_sq [n]
    private long step;

    public AdamW(Config config, int size) {
        if (size < 0) throw new IllegalArgumentException("negative size " + size);
        this.config = config;
        this.m = new float[size];
        this.v = new float[size];
    }

    public Config config() { return config; }

    /** Number of steps taken (t of the last step; 0 before the first). */
    public long stepCount() { return step; }

    /** First moments (live buffer, for checkpoints). */
    public float[] m() { return m; }

    /** Second moments (live buffer, for checkpoints). */
    public float[] v() { return v; }

    /** Restores a checkpointed state: the step count and copies of both moment buffers. */
    public void restore(long stepCount, float[] m, float[] v) {
        if (stepCount < 0) throw new Blt4jException("AdamW state: step count must be >= 0, got " + stepCount);
        if (m.length != this.m.length || v.length != this.v.length)
            throw new Blt4jException("AdamW state: moment buffers have " + m.length + " and " + v.length
                    + " elements but the model has " + this.m.length + " parameters; is it the checkpoint of this model?");
        System.arraycopy(m, 0, this.m, 0, m.length);
        System.arraycopy(v, 0, this.v, 0, v.length);
        this.step = stepCount;
    }

    /**
     * One step at learning rate {@code lr}: clips {@code grads} in place, then updates {@code params}.
     *
     * @return the global gradient norm before clipping
     */
    public double step(float[] params, float[] grads, double lr) {
        int n = m.length;
        if (params.length != n || grads.length != n)
            throw new IllegalArgumentException("AdamW over " + n + " elements got params " + params.length + ", grads " + grads.length);
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new Blt4jException("AdamW: lr must be >= 0, got " + lr);
        double norm = clipGradNorm(grads, config.clip());
        step++;
        double bc1 = 1 - Math.pow(config.beta1(), step);
        double bc2 = 1 - Math.pow(config.beta2(), step);
        float decay = (float) (1 - lr * config.weightDecay());
        float w1 = (float) (1 - config.beta1());           // lerp weight
        boolean small = w1 < 0.5f;                          // PyTorch's lerp: two forms, by the weight
        float coef = small ? w1 : w1 - 1f;
        float b2 = (float) config.beta2();
        float c2 = (float) (1 - config.beta2());
        float negStep = (float) -(lr / bc1);
        float bc2Sqrt = (float) Math.sqrt(bc2);
        float eps = (float) config.eps();
        forBlocks(n, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = grads[i];
                float p = params[i] * decay;
                float mi = Math.fma(coef, g - m[i], small ? m[i] : g);
                float vi = v[i] * b2 + c2 * g * g;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                m[i] = mi;
                v[i] = vi;
                params[i] = p + negStep * mi / denom;
            }
        });
        return norm;
    }

    /**
     * PyTorch's {@code clip_grad_norm_(max_norm=clip)} over one flat buffer: returns the norm before clipping and, when
     * clip > 0 and clip / (norm + 1e-6) &lt; 1, scales every gradient by that factor (computed in float, as PyTorch's
     * 0-dim tensors do).
     */
    public static double clipGradNorm(float[] grads, double clip) {
        double norm = Math.sqrt(sumOfSquares(grads));
        if (clip > 0) {
            float total = (float) norm;
            float coef = (1f / (total + 1e-6f)) * (float) clip;   // Python's max_norm / tensor is reciprocal() * max_norm
            if (coef < 1f) forBlocks(grads.length, (from, to) -> {
                for (int i = from; i < to; i++) grads[i] *= coef;
            });
        }
        return norm;
    }

    /** Σ x² in double, summed per fixed block and then over blocks in order (deterministic for any thread count). */
    static double sumOfSquares(float[] x) {
        int blocks = (x.length + BLOCK - 1) / BLOCK;
        double[] partial = new double[blocks];
        forBlocks(x.length, (from, to) -> {
            for (int b = from / BLOCK; b * BLOCK < to; b++) {
                double s = 0;
                for (int i = b * BLOCK, e = Math.min(x.length, (b + 1) * BLOCK); i < e; i++) s += (double) x[i] * x[i];
                partial[b] = s;
            }
        });
        double s = 0;
        for (double d : partial) s += d;
        return s;
    }

    private interface Range {
        void run(int from, int to);
    }

    /** Runs body over [0, n) in block-aligned halves on two threads when n is large, else on the caller's thread. */
    private static void forBlocks(int n, Range body) {
        if (n < PARALLEL_MIN) {
            body.run(0, n);
            return;
        }
        int half = ((n / 2 + BLOCK - 1) / BLOCK) * BLOCK;
        IntStream.range(0, 2).parallel().forEach(k -> body.run(k == 0 ? 0 : half, k == 0 ? half : n));
    }
}
