package org.blt4j.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;
import java.util.function.DoubleSupplier;

/**
 * Finite differences for the gradient checks: perturb one coordinate, evaluate, restore; and the comparison of an
 * analytic (float32) gradient against the numeric one.
 */
public final class Fd {
    private Fd() {}

    /** Step of the float64 central differences on the reference forwards. */
    public static final double EPS64 = 1e-5;
    /** Per tensor: |analytic − numeric| ≤ RTOL · max|numeric| + ATOL. */
    public static final double RTOL = 1e-3, ATOL = 1e-5;
    /** Our float32 forward against the float64 reference: max|out32 − out64| ≤ FWD_TOL · max(1, max|out64|). */
    public static final double FWD_TOL = 1e-5;

    /** ∂loss/∂x[i] for every i by central differences in float64. */
    public static double[] grad(double[] x, DoubleSupplier loss, double eps) {
        double[] g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double old = x[i];
            x[i] = old + eps;
            double up = loss.getAsDouble();
            x[i] = old - eps;
            double down = loss.getAsDouble();
            x[i] = old;
            g[i] = (up - down) / (2 * eps);
        }
        return g;
    }

    /** ∂loss/∂x[i] of one float32 coordinate by central differences, dividing by the step float could represent. */
    public static double at(float[] x, int i, DoubleSupplier loss, float eps) {
        float old = x[i], plus = old + eps, minus = old - eps;
        x[i] = plus;
        double up = loss.getAsDouble();
        x[i] = minus;
        double down = loss.getAsDouble();
        x[i] = old;
        return (up - down) / ((double) plus - minus);
    }

    /** L = Σ r_i · out_i: the scalar loss of the layer checks, so that dL/dout = r. */
    public static double dot(float[] r, double[] out) {
        if (r.length != out.length) throw new IllegalArgumentException(r.length + " != " + out.length);
        double s = 0;
        for (int i = 0; i < r.length; i++) s += r[i] * out[i];
        return s;
    }

    /**
     * Asserts |analytic[aOff+i] − numeric[nOff+i]| ≤ RTOL · max|numeric| + ATOL over the n elements of one tensor and
     * returns the relative error max|a − n| / max|n| (the absolute one when the numeric gradient is all zero).
     */
    public static double assertGradClose(String what, float[] analytic, int aOff, double[] numeric, int nOff, int n) {
        double maxNum = 0, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < n; i++) {
            maxNum = Math.max(maxNum, Math.abs(numeric[nOff + i]));
            double d = Math.abs(analytic[aOff + i] - numeric[nOff + i]);
            if (!(d <= maxDiff)) {
                maxDiff = d;
                worst = i;
            }
        }
        if (!(maxDiff <= RTOL * maxNum + ATOL))
            fail(what + ": analytic gradient off at element " + worst + ": analytic " + analytic[aOff + worst]
                    + ", numeric " + numeric[nOff + worst] + " (max |numeric| " + maxNum + ")");
        return maxNum > 0 ? maxDiff / maxNum : maxDiff;
    }

    /** Asserts the float32 forward matches the float64 reference; returns max|diff| / max(1, max|ref|). */
    public static double assertForwardClose(String what, float[] out32, double[] out64) {
        if (out32.length != out64.length) fail(what + ": output sizes " + out32.length + " vs " + out64.length);
        double maxRef = 0, maxDiff = 0;
        for (int i = 0; i < out32.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(out64[i]));
            maxDiff = Math.max(maxDiff, Math.abs(out32[i] - out64[i]));
        }
        double rel = maxDiff / Math.max(1, maxRef);
        assertTrue(rel <= FWD_TOL, what + ": float32 forward differs from the float64 reference by " + maxDiff
                + " (max |ref| " + maxRef + ")");
        return rel;
    }

    /** Float64 forward of the layer under test: inputs and parameters (double copies of the float32 ones) → output. */
    public interface Ref {
        double[] forward(double[][] in, double[] p);
    }

    /**
     * The layer check: our float32 output out32 against ref, then for every input in[i] (where dIn[i] is non-null)
     * and every parameter of ps (if non-null), our analytic gradient against central differences of
     * L = Σ r · ref(in, p) in float64. dParams is laid out like ps. Prints and returns the worst relative error.
     */
    public static double checkLayer(String name, Ref ref, ParamStore ps, float[][] in, float[] out32, float[] r,
                                    float[][] dIn, float[] dParams) {
        double[][] in64 = new double[in.length][];
        for (int i = 0; i < in.length; i++) in64[i] = f64(in[i]);
        double[] p64 = ps == null ? new double[0] : f64(ps.data());
        double fwd = assertForwardClose(name + " forward", out32, ref.forward(in64, p64));
        DoubleSupplier loss = () -> dot(r, ref.forward(in64, p64));
        double worst = 0;
        String worstWhat = "-";
        for (int i = 0; i < in.length; i++) {
            if (dIn[i] == null) continue;
            double e = assertGradClose(name + " d/d input " + i, dIn[i], 0, grad(in64[i], loss, EPS64), 0, in[i].length);
            if (e >= worst) { worst = e; worstWhat = "input " + i; }
        }
        if (ps != null) {
            double[] num = grad(p64, loss, EPS64);
            for (ParamStore.Param p : ps.params()) {
                double e = assertGradClose(name + " d/d " + p.name(), dParams, p.offset(), num, p.offset(), p.numel());
                if (e >= worst) { worst = e; worstWhat = p.name(); }
            }
        }
        report(name, fwd, worst, worstWhat);
        return worst;
    }

    /** One line per check (NaN fwdErr: no forward comparison). */
    public static void report(String name, double fwdErr, double worstRel, String worstWhat) {
        String fwd = Double.isNaN(fwdErr) ? "   -   " : String.format("%.1e", fwdErr);
        System.out.printf("gradcheck %-52s forward rel err %s   worst grad rel err %.1e (%s)%n", name, fwd, worstRel, worstWhat);
    }

    // ---- small array helpers ----

    public static double[] f64(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = a[i];
        return d;
    }

    public static float[] gaussian(Random rnd, int n, double std) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (std * rnd.nextGaussian());
        return a;
    }

    /** Random weights: a 1-D tensor (a norm weight) around 1, a matrix [out, in] with std 1/sqrt(in). */
    public static ParamStore randomParams(java.util.List<ParamStore.Spec> specs, Random rnd) {
        ParamStore ps = ParamStore.allocate(specs);
        float[] d = ps.data();
        for (ParamStore.Param p : ps.params()) {
            boolean vector = p.shape().length == 1;
            double std = vector ? 0.3 : 1 / Math.sqrt(p.cols());
            for (int i = 0; i < p.numel(); i++) d[p.offset() + i] = (float) ((vector ? 1 : 0) + std * rnd.nextGaussian());
        }
        return ps;
    }

    /**
     * A gradient buffer pre-filled with noise, so a check also sees that backward adds (+=) instead of overwriting:
     * pass {@link #buf()} to backward, compare {@link #added()}.
     */
    public record Primed(float[] buf, float[] noise) {
        public static Primed of(int n, Random rnd) {
            float[] noise = gaussian(rnd, n, 1);
            return new Primed(noise.clone(), noise);
        }

        public float[] added() {
            float[] d = new float[buf.length];
            for (int i = 0; i < d.length; i++) d[i] = buf[i] - noise[i];
            return d;
        }
    }
}
