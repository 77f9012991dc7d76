package org.blt4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.blt4j.tensor.VecMath;
import org.blt4j.tensor.VectorWidth;

/**
 * Entropy of next-byte distributions from logits, via log_softmax, in nats (docs/computation.md §3): the one entropy function of
 * blt4j, used by the entropy model's batch and incremental forms.
 */
public final class Entropy {
    private Entropy() {}

    /** H[r] = -Σ_v p_v log p_v for each row r of logits [rows, V]. */
    public static float[] ofLogits(float[] logits, int rows, int V) {
        float[] H = new float[rows];
        for (int r = 0; r < rows; r++) H[r] = (float) ofRow(logits, r * V, V);
        return H;
    }

    /** -Σ p log p of the V logits at logits[off ..), accumulated in double; terms with p = 0 count 0. */
    public static double ofRow(float[] logits, int off, int V) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += Math.exp(logits[off + v] - max);
        double logZ = max + Math.log(sum);
        double h = 0;
        for (int v = 0; v < V; v++) {
            double logp = logits[off + v] - logZ, p = Math.exp(logp);
            if (p > 0) h -= p * logp;
        }
        return h;
    }

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;

    /**
     * The same entropy with one exponential per logit, in float lanes ({@link VecMath#exp}): with m the largest logit,
     * e_v = exp(l_v - m), Z = Σ e_v and H = ln Z - Σ e_v (l_v - m) / Z. Equal to {@link #ofRow} up to float rounding
     * (~1e-6 relative), a few times faster: what the batched entropy pass ({@link EntropyBatch}) uses. A value's bits
     * depend only on its row (masked last vector, fixed lane order).
     */
    public static float ofRowLanes(float[] logits, int off, int V) {
        int L = S.length(), vn = S.loopBound(V), v = 0;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; v < vn; v += L) mv = mv.max(FloatVector.fromArray(S, logits, off + v));
        float m = mv.reduceLanes(VectorOperators.MAX);
        for (; v < V; v++) m = Math.max(m, logits[off + v]);
        FloatVector z = FloatVector.zero(S), t = FloatVector.zero(S);
        for (v = 0; v < V; v += L) {
            VectorMask<Float> in = S.indexInRange(v, V);
            // logits far below the largest (-inf included) count ~0: clamped so that e·d stays finite
            FloatVector d = FloatVector.fromArray(S, logits, off + v, in).sub(m).max(-104f);
            FloatVector e = VecMath.exp(d).blend(0f, in.not());
            z = z.add(e);
            t = e.fma(d.blend(0f, in.not()), t);
        }
        double Z = VecMath.sum(z), T = VecMath.sum(t);
        return (float) (Math.log(Z) - T / Z);
    }
}
