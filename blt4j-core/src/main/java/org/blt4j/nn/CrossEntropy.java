package org.blt4j.nn;

/** Cross-entropy of logits [N, V] against targets [N], weighted per position (0 for masked-out positions). */
public final class CrossEntropy {
    private CrossEntropy() {}

    /**
     * Returns Σ_i w_i · (−log softmax(logits_i)[y_i]) and, if dLogits is non-null, writes
     * dLogits_i = w_i · scale · (softmax(logits_i) − onehot(y_i)).
     *
     * @param weight per-position weights (null = all 1)
     */
    public static double lossAndGrad(float[] logits, int[] y, float[] weight, int N, int V, float scale, float[] dLogits) {
        double total = 0;
        for (int i = 0; i < N; i++) {
            float w = weight == null ? 1f : weight[i];
            int o = i * V;
            float max = Float.NEGATIVE_INFINITY;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
            double sum = 0;
            for (int v = 0; v < V; v++) sum += Math.exp(logits[o + v] - max);
            double logZ = max + Math.log(sum);
            if (w != 0f) total += w * (logZ - logits[o + y[i]]);
            if (dLogits != null) {
                float c = w * scale;
                for (int v = 0; v < V; v++) dLogits[o + v] = c == 0f ? 0f : c * (float) Math.exp(logits[o + v] - logZ);
                dLogits[o + y[i]] -= c;
            }
        }
        return total;
    }
}
