package org.blt4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

/** AdamW against a hand-written double-precision version of docs/computation.md §5's formulas. */
class AdamWTest {
    private static final float[] TARGET = {0.5f, -1.0f, 2.0f, 0.0f, -0.25f};
    private static final float[] INIT = {1.0f, 0.5f, -1.5f, 0.25f, 3.0f};

    /** Gradient of Σ k(p - target)² (k scales the norm: large k forces clipping). */
    private static float[] grad(float[] p, double k) {
        float[] g = new float[p.length];
        for (int i = 0; i < p.length; i++) g[i] = (float) (2 * k * (p[i] - TARGET[i]));
        return g;
    }

    /** docs/computation.md §5 in double: returns the norms before clipping; p is updated in place. */
    private static double[] reference(double[] p, double k, double[] lrs, AdamW.Config c) {
        double[] m = new double[p.length], v = new double[p.length], norms = new double[lrs.length];
        for (int t = 1; t <= lrs.length; t++) {
            double lr = lrs[t - 1];
            double[] g = new double[p.length];
            for (int i = 0; i < p.length; i++) g[i] = (float) (2 * k * ((float) p[i] - TARGET[i]));
            double ss = 0;
            for (double x : g) ss += x * x;
            double norm = Math.sqrt(ss);
            norms[t - 1] = norm;
            double coef = c.clip() / (norm + 1e-6);
            if (c.clip() > 0 && coef < 1) for (int i = 0; i < g.length; i++) g[i] *= coef;
            for (int i = 0; i < p.length; i++) {
                p[i] *= 1 - lr * c.weightDecay();
                m[i] = c.beta1() * m[i] + (1 - c.beta1()) * g[i];
                v[i] = c.beta2() * v[i] + (1 - c.beta2()) * g[i] * g[i];
                double stepSize = lr / (1 - Math.pow(c.beta1(), t));
                p[i] -= stepSize * m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - Math.pow(c.beta2(), t)) + c.eps());
            }
        }
        return norms;
    }

    private static void check(double k, AdamW.Config c, boolean expectClipping) {
        double[] lrs = {0.01, 0.02, 0.005};
        double[] ref = new double[INIT.length];
        for (int i = 0; i < ref.length; i++) ref[i] = INIT[i];
        double[] refNorms = reference(ref, k, lrs, c);
        float[] p = INIT.clone();
        AdamW opt = new AdamW(c, p.length);
        for (int t = 0; t < lrs.length; t++) {
            float[] g = grad(p, k);
            double norm = opt.step(p, g, lrs[t]);
            assertEquals(refNorms[t], norm, 1e-6 * refNorms[t], "norm before clipping, step " + (t + 1));
            assertEquals(expectClipping, c.clip() > 0 && refNorms[t] > c.clip(), "clipping expectation, step " + (t + 1));
        }
        assertEquals(3, opt.stepCount());
        for (int i = 0; i < p.length; i++) assertEquals(ref[i], p[i], 2e-6, "p[" + i + "] after 3 steps");
    }

    @Test
    void threeStepsWithoutClipping() {
        check(0.01, AdamW.Config.defaults(), false);   // norms ≈ 0.1 < clip 1
    }

    @Test
    void threeStepsWithClipping() {
        check(10, AdamW.Config.defaults(), true);      // norms ≈ 100 > clip 1
    }

    @Test
    void clippingOffAndOtherHyperParameters() {
        check(10, new AdamW.Config(0.8, 0.99, 1e-6, 0.01, 0), false);
        check(10, new AdamW.Config(0.3, 0.9, 1e-8, 0.0, 5.0), true);   // β1 < 0.5: PyTorch's other lerp form
    }

    @Test
    void firstStepMovesEveryParameterByAboutLrAgainstTheGradientSign() {
        float[] p = {1f, -1f, 0.5f};
        float[] g = {0.3f, -0.2f, 1e-3f};
        new AdamW(new AdamW.Config(0.9, 0.95, 1e-8, 0, 0), 3).step(p, g, 0.1);
        assertArrayEquals(new float[] {0.9f, -0.9f, 0.4f}, p, 1e-5f);
    }

    @Test
    void clipGradNormScalesOnlyAboveTheLimit() {
        float[] g = {3f, 4f};
        assertEquals(5.0, AdamW.clipGradNorm(g, 1.0), 1e-12);
        assertArrayEquals(new float[] {0.6f, 0.8f}, g, 1e-6f);
        float[] small = {0.3f, 0.4f};
        assertEquals(0.5, AdamW.clipGradNorm(small, 1.0), 1e-7);
        assertArrayEquals(new float[] {0.3f, 0.4f}, small);
    }

    @Test
    void restoredStateContinuesIdentically() {
        AdamW.Config c = AdamW.Config.defaults();
        float[] a = INIT.clone();
        AdamW full = new AdamW(c, a.length);
        for (int t = 0; t < 4; t++) full.step(a, grad(a, 1), 0.01);

        float[] b = INIT.clone();
        AdamW first = new AdamW(c, b.length);
        for (int t = 0; t < 2; t++) first.step(b, grad(b, 1), 0.01);
        AdamW resumed = new AdamW(c, b.length);
        resumed.restore(first.stepCount(), first.m().clone(), first.v().clone());
        for (int t = 0; t < 2; t++) resumed.step(b, grad(b, 1), 0.01);
        assertArrayEquals(a, b);
        assertEquals(4, resumed.stepCount());
        assertThrows(Blt4jException.class, () -> resumed.restore(1, new float[2], new float[2]));
    }

    @Test
    void largeBuffersTakeTheTwoThreadPathWithTheSameResults() {
        int n = (1 << 18) + 12345;
        float[] p = new float[n], g = new float[n];
        for (int i = 0; i < n; i++) {
            p[i] = (float) Math.sin(i);
            g[i] = (float) Math.cos(0.37 * i) * 1e-3f;
        }
        float[] p2 = p.clone(), g2 = g.clone();
        double norm = new AdamW(AdamW.Config.defaults(), n).step(p, g, 0.01);
        // the same elements one at a time (small buffers run on one thread) give identical floats
        double ss = 0;
        for (float x : g2) ss += (double) x * x;
        assertEquals(Math.sqrt(ss), norm, 1e-9 * norm);
        AdamW.clipGradNorm(g2, 1.0);
        AdamW.Config c = AdamW.Config.defaults();
        for (int i = 0; i < n; i += 997) {
            float[] pi = {p2[i]}, gi = {g2[i]};
            new AdamW(new AdamW.Config(c.beta1(), c.beta2(), c.eps(), c.weightDecay(), 0), 1).step(pi, gi, 0.01);
            assertEquals(pi[0], p[i], "element " + i);
        }
    }

    @Test
    void badHyperParametersAreRejected() {
        assertThrows(Blt4jException.class, () -> new AdamW.Config(1.0, 0.95, 1e-8, 0.1, 1));
        assertThrows(Blt4jException.class, () -> new AdamW.Config(0.9, 0.95, 0, 0.1, 1));
        assertThrows(Blt4jException.class, () -> new AdamW.Config(0.9, 0.95, 1e-8, -1, 1));
        AdamW opt = new AdamW(AdamW.Config.defaults(), 1);
        assertThrows(Blt4jException.class, () -> opt.step(new float[1], new float[1], Double.NaN));
    }
}
