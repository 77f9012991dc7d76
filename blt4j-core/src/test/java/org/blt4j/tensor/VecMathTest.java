package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

class VecMathTest {
    private static final int L = VecMath.S.length();

    @Test
    void expWithinTwoUlpOfMathExp() {
        SplittableRandom rng = new SplittableRandom(1);
        float[] x = new float[L], y = new float[L];
        double worstUlps = 0;
        for (int t = 0; t < 20_000; t++) {
            for (int i = 0; i < L; i++) x[i] = (float) (rng.nextDouble() * 170 - 85);
            x[0] = t == 0 ? 0f : x[0];
            VecMath.exp(FloatVector.fromArray(VecMath.S, x, 0)).intoArray(y, 0);
            for (int i = 0; i < L; i++) {
                float ref = (float) Math.exp(x[i]);
                worstUlps = Math.max(worstUlps, Math.abs(y[i] - ref) / Math.ulp(ref));
            }
        }
        assertTrue(worstUlps <= 2, "worst error " + worstUlps + " ulp");
        x[0] = -100f;
        x[1] = Float.NEGATIVE_INFINITY;
        VecMath.exp(FloatVector.fromArray(VecMath.S, x, 0)).intoArray(y, 0);
        assertEquals(0f, y[0]);
        assertEquals(0f, y[1]);
    }

    @Test
    void sumIsTheButterflyTree() {
        float[] x = new float[L];
        for (int i = 0; i < L; i++) x[i] = (float) Math.pow(10, i % 8) * (i % 2 == 0 ? 1 : -1) + 0.1f * i;
        // the same tree by hand: pairs (i, i ^ stride) for stride L/2 ... 1
        float[] t = x.clone();
        for (int stride = L / 2; stride >= 1; stride /= 2) {
            float[] n = new float[L];
            for (int i = 0; i < L; i++) n[i] = t[i] + t[i ^ stride];
            t = n;
        }
        assertEquals(t[0], VecMath.sum(FloatVector.fromArray(VecMath.S, x, 0)), 0f);
    }

    @Test
    void sumLanesHasTheBitsOfSum() {
        java.util.Random rnd = new java.util.Random(3);
        for (int rep = 0; rep < 1000; rep++) {
            float[] x = new float[L + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(8) - 4));
            float want = VecMath.sum(FloatVector.fromArray(VecMath.S, x, 3));
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(VecMath.sumLanes(x, 3)), "rep " + rep);
        }
    }

    @Test
    @Tag("widths") // the halves depend on the lane count: again at 256-bit vectors
    void sumLanes2HasTheBitsOfTwoSumLanes() {
        java.util.Random rnd = new java.util.Random(5);
        float[] special = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, -0f, Float.MIN_VALUE, Float.MAX_VALUE};
        float[] out = new float[4];
        for (int rep = 0; rep < 2000; rep++) {
            float[] x = new float[3 * L + 5];
            for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * Math.pow(10, rnd.nextInt(12) - 6));
            if (rep % 10 == 0) x[rnd.nextInt(x.length)] = special[rnd.nextInt(special.length)];
            int a = rnd.nextInt(2 * L + 6), b = rep % 7 == 0 ? a : rnd.nextInt(2 * L + 6), o = rnd.nextInt(3);
            VecMath.sumLanes2(x, a, b, out, o);
            assertEquals(Float.floatToIntBits(VecMath.sumLanes(x, a)), Float.floatToIntBits(out[o]), "rep " + rep + ", first");
            assertEquals(Float.floatToIntBits(VecMath.sumLanes(x, b)), Float.floatToIntBits(out[o + 1]), "rep " + rep + ", second");
        }
    }
}
