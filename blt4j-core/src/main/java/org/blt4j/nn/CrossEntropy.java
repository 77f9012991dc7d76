package org.blt4j.nn;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.blt4j.tensor.Parallel;
import org.blt4j.tensor.VecMath;
import org.blt4j.tensor.VectorWidth;

/**
 * Cross-entropy of logits [N, V] against targets [N], weighted per position (0 for masked-out positions). Rows run in
 * parallel and their losses are summed in row order, so the result does not depend on the threads. With a gradient
 * (training) each row runs in vectors, one pass of exp (e^(l − max) lands in dLogits and is then scaled); without one
 * (evaluation) in scalars with the sum of exponentials in double, so held-out bits per byte keep their last digits.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;

    /**
     * Returns Σ_i w_i · (−log softmax(logits_i)[y_i]) and, if dLogits is non-null, writes
     * dLogits_i = w_i · scale · (softmax(logits_i) − onehot(y_i)). dLogits may be logits itself (the gradient then
     * replaces the logits, saving an [N, V] array).
     *
     * @param weight per-position weights (null = all 1)
     */
    public static double lossAndGrad(float[] logits, int[] y, float[] weight, int N, int V, float scale, float[] dLogits) {
        double[] rowLoss = new double[N];
        Parallel.forEach(N, 8L * N * V, i -> rowLoss[i] = row(logits, y[i], weight == null ? 1f : weight[i], i * V, V, scale, dLogits));
        double total = 0;
        for (double l : rowLoss) total += l;
        return total;
    }

    /** log Σ_v e^(logits[o + v]), in double. */
    private static double logZ(float[] logits, int o, int V) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += Math.exp(logits[o + v] - max);
        return max + Math.log(sum);
    }

    /** One row at o: its weighted loss; its gradient into dLogits[o ..] when dLogits is non-null. */
    private static double row(float[] logits, int y, float w, int o, int V, float scale, float[] dLogits) {
        if (dLogits == null) return w != 0f ? w * (logZ(logits, o, V) - logits[o + y]) : 0;
        float target = logits[o + y];
        int L = S.length(), vn = S.loopBound(V), v = 0;
        FloatVector mv = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (; v < vn; v += L) mv = mv.max(FloatVector.fromArray(S, logits, o + v));
        float max = mv.reduceLanes(VectorOperators.MAX);         // a max is exact in any order
        for (; v < V; v++) max = Math.max(max, logits[o + v]);
        FloatVector sv = FloatVector.zero(S);
        for (v = 0; v < vn; v += L) {
            FloatVector e = VecMath.exp(FloatVector.fromArray(S, logits, o + v).sub(max));
            e.intoArray(dLogits, o + v);
            sv = sv.add(e);
        }
        double sum = VecMath.sum(sv);
        for (; v < V; v++) {
            float e = (float) Math.exp(logits[o + v] - max);
            dLogits[o + v] = e;
            sum += e;
        }
        float c = w * scale, k = (float) (c / sum);
        for (v = 0; v < vn; v += L) FloatVector.fromArray(S, dLogits, o + v).mul(k).intoArray(dLogits, o + v);
        for (; v < V; v++) dLogits[o + v] *= k;
        if (c == 0f) java.util.Arrays.fill(dLogits, o, o + V, 0f);
        dLogits[o + y] -= c;
        return w != 0f ? w * (max + Math.log(sum) - target) : 0;
    }
}
