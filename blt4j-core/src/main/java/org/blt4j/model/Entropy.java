package org.blt4j.model;

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
}
