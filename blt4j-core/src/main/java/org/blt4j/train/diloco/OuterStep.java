package org.blt4j.train.diloco;

import java.util.List;
import org.blt4j.Blt4jException;

/**
 * DiLoCo's outer step: the outer gradient is the workers' mean delta, Δ = (1/N) Σ_w (θ − θ_w), summed in worker order
 * (in double, one element at a time, so no thread count or arrival order changes it); then PyTorch's
 * SGD(nesterov=True, dampening=0) in fp32: b = μ·b + Δ; θ = θ − lr·(Δ + μ·b).
 */
public final class OuterStep {
    private OuterStep() {}

    /** Δ [P]: the mean of deltas [N][P], summed in list order. */
    public static float[] meanDelta(List<float[]> deltas) {
        if (deltas.isEmpty()) throw new Blt4jException("DiLoCo: no worker delta to average");
        int p = deltas.getFirst().length;
        for (float[] d : deltas)
            if (d.length != p) throw new Blt4jException("DiLoCo: worker deltas of " + p + " and " + d.length + " parameters");
        int n = deltas.size();
        float[] mean = new float[p];
        for (int i = 0; i < p; i++) {
            double s = 0;
            for (float[] d : deltas) s += d[i];
            mean[i] = (float) (s / n);
        }
        return mean;
    }

    /** One Nesterov step of θ [P] with momentum buffer b [P] (updated in place) on the outer gradient Δ [P]. */
    public static void nesterov(float[] theta, float[] buf, float[] delta, double lr, double momentum) {
        if (theta.length != buf.length || theta.length != delta.length)
            throw new IllegalArgumentException("outer step over " + theta.length + " parameters got buffer " + buf.length
                    + ", delta " + delta.length);
        float mu = (float) momentum, negLr = (float) -lr;
        for (int i = 0; i < theta.length; i++) {
            float g = delta[i];
            float b = buf[i] * mu + g;             // buf.mul_(μ).add_(g)
            buf[i] = b;
            theta[i] += negLr * (g + mu * b);      // p.add_(g.add(buf, alpha=μ), alpha=-lr)
        }
    }
}
