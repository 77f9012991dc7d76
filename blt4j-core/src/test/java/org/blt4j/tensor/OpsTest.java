package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The vectorized {@link Ops} against their {@link NaiveKernels} twins on odd sizes, offsets and both thread counts. */
class OpsTest {
    private static final int[] SIZES = {1, 7, 33, 1000};

    @Test
    void rmsNorm() {
        SplittableRandom r = new SplittableRandom(1);
        for (int dim : SIZES)
            for (int rows : new int[] {1, 3, 300})
                for (int threads = 1; threads <= 2; threads++) {
                    float[] x = scaled(random(r, 3 + rows * dim), 5f), w = random(r, 2 + dim);
                    float[] ref = random(r, 1 + rows * dim), got = ref.clone();
                    NaiveKernels.rmsNorm(x, 3, w, 2, ref, 1, rows, dim, 1e-5f);
                    Parallel.withThreads(threads, () -> Ops.rmsNorm(x, 3, w, 2, got, 1, rows, dim, 1e-5f));
                    assertClose(ref, got, 1e-5, 0, "rmsNorm dim=" + dim + " rows=" + rows);
                }
    }

    @Test
    void softmax() {
        SplittableRandom r = new SplittableRandom(2);
        for (int n : SIZES)
            for (float scale : new float[] {1f, 30f}) {
                float[] ref = scaled(random(r, n + 5), scale), got = ref.clone();
                NaiveKernels.softmax(ref, 2, n);
                Ops.softmax(got, 2, n);
                assertClose(ref, got, 1e-5, 1e-12, "softmax n=" + n + " scale=" + scale);
            }
    }

    /** The vectorized SwiGLU backward against the formulas in double: db = dg·silu(a), da = dg·b·σ(1 + a(1 − σ)). */
    @Test
    void swigluBackward() {
        SplittableRandom r = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 33, 1000, 100_003})
            for (int threads = 1; threads <= 2; threads++) {
                float[] a = scaled(random(r, n), 12f), b = random(r, n), dg = random(r, n);
                float[] da = new float[n], db = new float[n], refA = new float[n], refB = new float[n];
                for (int i = 0; i < n; i++) {
                    double sig = 1 / (1 + Math.exp(-a[i]));
                    refB[i] = (float) (dg[i] * a[i] * sig);
                    refA[i] = (float) (dg[i] * b[i] * sig * (1 + a[i] * (1 - sig)));
                }
                Parallel.withThreads(threads, () -> Ops.swigluBackward(a, b, dg, da, db, n));
                assertClose(refA, da, 1e-5, 1e-7, "swiglu backward da n=" + n);   // σ·(1 + a(1 − σ)) cancels near a ≈ −1.28
                assertClose(refB, db, 1e-5, 1e-30, "swiglu backward db n=" + n);
            }
    }

    @Test
    void swiglu() {
        SplittableRandom r = new SplittableRandom(3);
        for (int n : new int[] {1, 7, 33, 1000, 100_003})
            for (int threads = 1; threads <= 2; threads++) {
                float[] a = scaled(random(r, n + 1), 12f), b = random(r, n + 2);
                float[] ref = new float[n + 3], got = new float[n + 3];
                NaiveKernels.swiglu(a, 1, b, 2, ref, 3, n);
                Parallel.withThreads(threads, () -> Ops.swiglu(a, 1, b, 2, got, 3, n));
                assertClose(ref, got, 1e-5, 1e-30, "swiglu n=" + n);
            }
    }

    @Test
    void ropeMatchesNaiveExactly() {
        SplittableRandom r = new SplittableRandom(4);
        int[][] posSets = {{0}, {5, 0, 3, 1000, 17, 17, 2}, {70_000, -3, 12}};
        for (int headDim : new int[] {2, 7, 8, 14, 64, 66})
            for (double theta : new double[] {10_000, 500_000})
                for (int[] pos : posSets)
                    for (int threads = 1; threads <= 2; threads++) {
                        int S = pos.length, nHeads = 3;
                        float[] ref = random(r, 4 + S * nHeads * headDim), got = ref.clone();
                        NaiveKernels.rope(ref, 4, S, nHeads, headDim, pos, theta);
                        Parallel.withThreads(threads, () -> Ops.rope(got, 4, S, nHeads, headDim, pos, theta));
                        assertClose(ref, got, 1e-6, 0, "rope headDim=" + headDim + " theta=" + theta);
                    }
    }

    @Test
    void ropeOnManyPositionsInParallel() {
        SplittableRandom r = new SplittableRandom(5);
        int S = 4096, nHeads = 4, headDim = 64;
        int[] pos = new int[S];
        for (int s = 0; s < S; s++) pos[s] = s % 3000;
        float[] ref = random(r, S * nHeads * headDim), got = ref.clone();
        NaiveKernels.rope(ref, 0, S, nHeads, headDim, pos, 10_000);
        Ops.rope(got, 0, S, nHeads, headDim, pos, 10_000);
        assertArrayEquals(ref, got);
    }

    @Test
    void addInPlace() {
        SplittableRandom r = new SplittableRandom(6);
        for (int n : new int[] {1, 7, 33, 1000, 100_003}) {
            float[] x = random(r, n + 1), ref = random(r, n + 4), got = ref.clone();
            for (int i = 0; i < n; i++) ref[3 + i] += x[1 + i];
            Ops.addInPlace(got, 3, x, 1, n);
            assertArrayEquals(ref, got, "addInPlace n=" + n);
        }
    }

    /** |got - ref| <= rtol·|ref| + atol elementwise. */
    static void assertClose(float[] ref, float[] got, double rtol, double atol, String what) {
        for (int i = 0; i < ref.length; i++) {
            double tol = rtol * Math.abs(ref[i]) + atol;
            if (!(Math.abs(got[i] - ref[i]) <= tol))
                fail(what + ": at " + i + " expected " + ref[i] + " got " + got[i]);
        }
    }

    static float[] random(SplittableRandom r, int n) {
        return GemmTest.random(r, n);
    }

    static float[] scaled(float[] a, float s) {
        for (int i = 0; i < a.length; i++) a[i] *= s;
        return a;
    }
}
