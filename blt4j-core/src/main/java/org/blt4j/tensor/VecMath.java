package org.blt4j.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Deterministic vector math. The Vector API leaves the order of {@code reduceLanes(ADD)} and the exact bits of
 * {@code lanewise(EXP)} to the implementation, and they differ between interpreted, C1 and C2 code (so a result would
 * change once a method gets compiled). These use only exactly rounded operations in a fixed order, so the same inputs
 * give the same bits on every tier: training runs are reproducible and resume exactly.
 */
public final class VecMath {
    private VecMath() {}

    static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    /** butterfly shuffles: lane i ↔ lane i ^ stride, for stride = L/2 … 1 */
    private static final VectorShuffle<Float>[] SWAP = swaps();
    /** the upper half of the lanes */
    private static final VectorMask<Float> UPPER = VectorMask.fromLong(S, ((1L << S.length()) - 1) & -(1L << (S.length() / 2)));

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] swaps() {
        int n = Integer.numberOfTrailingZeros(S.length());
        VectorShuffle<Float>[] s = new VectorShuffle[n];
        for (int b = 0; b < n; b++) {
            int stride = S.length() >> (b + 1);
            s[b] = VectorShuffle.fromOp(S, i -> i ^ stride);
        }
        return s;
    }

    /** Σ of the lanes, as a fixed butterfly tree. */
    public static float sum(FloatVector v) {
        for (VectorShuffle<Float> sh : SWAP) v = v.add(v.rearrange(sh));
        return v.lane(0);
    }

    /**
     * {@link #sum} of the vector stored at t[off..off+L). For methods too big for C2 to inline {@code sum} into: a call
     * with a vector argument boxes it and runs the Vector API's Java fallback, a call with an array does not.
     */
    public static float sumLanes(float[] t, int off) {
        return sum(FloatVector.fromArray(S, t, off));
    }

    /**
     * {@link #sumLanes} of the vectors stored at t[a..a+L) and t[b..b+L), into out[o] and out[o + 1], bitwise the same
     * as two calls, in fewer vector ops: the first butterfly step of both is one add over a vector that holds the
     * lower half of the first and the upper half of the second (lane i + lane i ^ L/2, added in the same order), and
     * the later steps (strides below L/2) run on that vector, each half on its own. Every lane of a butterfly ends
     * with the same total, so lane L/2 holds the second sum.
     */
    public static void sumLanes2(float[] t, int a, int b, float[] out, int o) {
        FloatVector u = FloatVector.fromArray(S, t, a), v = FloatVector.fromArray(S, t, b);
        FloatVector c = u.blend(v, UPPER).add(v.blend(u, UPPER).rearrange(SWAP[0]));
        for (int i = 1; i < SWAP.length; i++) c = c.add(c.rearrange(SWAP[i]));
        out[o] = c.lane(0);
        out[o + 1] = c.lane(S.length() / 2);
    }

    private static final float LOG2E = 1.44269504088896341f, LN2_HI = 0.693359375f, LN2_LO = -2.12194440e-4f;
    private static final float MAX_X = 88.72283f, MIN_X = -87.33654f, ROUND = 12582912f; // 1.5·2^23

    /** e^x lane-wise (Cephes' expf: range reduction by ln 2, degree-6 polynomial; ≤ 2 ulp); 0 below −87.3. */
    public static FloatVector exp(FloatVector x) {
        VectorMask<Float> under = x.compare(VectorOperators.LT, MIN_X);
        FloatVector xc = x.max(MIN_X).min(MAX_X);
        FloatVector n = xc.mul(LOG2E).add(ROUND).sub(ROUND);                  // round to nearest integer
        FloatVector r = n.fma(c(-LN2_HI), xc);
        r = n.fma(c(-LN2_LO), r);
        FloatVector p = c(1.9875691500E-4f);
        p = p.fma(r, c(1.3981999507E-3f));
        p = p.fma(r, c(8.3334519073E-3f));
        p = p.fma(r, c(4.1665795894E-2f));
        p = p.fma(r, c(1.6666665459E-1f));
        p = p.fma(r, c(5.0000001201E-1f));
        FloatVector y = p.fma(r.mul(r), r).add(1f);
        IntVector e = ((IntVector) n.convert(VectorOperators.F2I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        FloatVector scale = e.reinterpretAsFloats();
        return y.mul(scale).blend(0f, under);
    }

    private static FloatVector c(float v) {
        return FloatVector.broadcast(S, v);
    }
}
