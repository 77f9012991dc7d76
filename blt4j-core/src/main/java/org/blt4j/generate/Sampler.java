package org.blt4j.generate;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.blt4j.Blt4jException;

/**
 * Picks the next byte from logits: greedy (argmax, ties to the lowest id), or sampled with temperature, top-k and
 * top-p (nucleus) from a seeded generator, so that a seed reproduces the output.
 */
public final class Sampler {
    private final boolean greedy;
    private final double temperature;
    private final int topK;
    private final double topP;
    private final SplittableRandom rng;

    private Sampler(boolean greedy, double temperature, int topK, double topP, long seed) {
        this.greedy = greedy;
        this.temperature = temperature;
        this.topK = topK;
        this.topP = topP;
        this.rng = new SplittableRandom(seed);
    }

    public static Sampler greedy() {
        return new Sampler(true, 1, 0, 1, 0);
    }

    /**
     * @param temperature > 0 (0 means greedy)
     * @param topK        keep the k most likely ids (0 = all)
     * @param topP        keep the smallest set of ids whose probability reaches p (1 = all)
     */
    public static Sampler of(double temperature, int topK, double topP, long seed) {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) throw new Blt4jException("temperature must be a finite number >= 0, got " + temperature);
        if (topK < 0) throw new Blt4jException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new Blt4jException("top-p must be in (0, 1], got " + topP);
        if (temperature == 0) return greedy();
        return new Sampler(false, temperature, topK, topP, seed);
    }

    public boolean isGreedy() { return greedy; }

    /** The next id from logits[off .. off+V); a NaN logit (a broken model) is refused rather than sampled from. */
    public int next(float[] logits, int off, int V) {
        for (int v = 0; v < V; v++)
            if (Float.isNaN(logits[off + v]))
                throw new Blt4jException("the model's logits are NaN (id " + v + "): its weights or its config (norm_eps,"
                        + " rope_theta, extreme values) make the forward pass overflow; nothing was sampled");
        if (greedy) return argmax(logits, off, V);
        Integer[] order = new Integer[V];
        for (int v = 0; v < V; v++) order[v] = v;
        Arrays.sort(order, (a, b) -> Float.compare(logits[off + b], logits[off + a]));
        int keep = topK > 0 ? Math.min(topK, V) : V;
        // p ∝ exp((logit − max) / T): the difference is ≤ 0 before the division, so a tiny T sends it to −∞ (p = 0)
        // and never to ∞ − ∞ = NaN; as T → 0 only the largest logits keep mass (greedy)
        double max = logits[off + order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            p[r] = Math.exp((logits[off + order[r]] - max) / temperature);
            sum += p[r];
        }
        // nucleus: the smallest prefix of the sorted ids whose mass reaches topP
        double mass = 0;
        int n = 0;
        while (n < keep) {
            mass += p[n] / sum;
            n++;
            if (mass >= topP) break;
        }
        double total = 0;
        for (int r = 0; r < n; r++) total += p[r];
        double u = rng.nextDouble() * total;
        for (int r = 0; r < n; r++) {
            u -= p[r];
            if (u < 0) return order[r];
        }
        return order[n - 1];
    }

    public static int argmax(float[] logits, int off, int V) {
        int best = 0;
        for (int v = 1; v < V; v++) if (logits[off + v] > logits[off + best]) best = v;
        return best;
    }
}
