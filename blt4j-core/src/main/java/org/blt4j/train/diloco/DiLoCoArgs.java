package org.blt4j.train.diloco;

import org.blt4j.Blt4jException;

/**
 * DiLoCo's outer loop (Douillard et al., 2023): N workers, H inner AdamW steps per round, an outer Nesterov SGD step
 * with learning rate outerLr and momentum outerMomentum on the averaged parameter deltas.
 */
public record DiLoCoArgs(int workers, int innerSteps, double outerLr, double outerMomentum) implements java.io.Serializable {
    public DiLoCoArgs {
        if (workers < 1) throw new Blt4jException("DiLoCo: workers must be >= 1, got " + workers);
        if (innerSteps < 1) throw new Blt4jException("DiLoCo: inner steps (H) must be >= 1, got " + innerSteps);
        if (!(outerLr > 0) || Double.isInfinite(outerLr)) throw new Blt4jException("DiLoCo: outer lr must be > 0, got " + outerLr);
        if (!(outerMomentum >= 0 && outerMomentum < 1))
            throw new Blt4jException("DiLoCo: outer momentum must be in [0, 1), got " + outerMomentum);
    }

    /** The paper's settings: H 500, outer lr 0.7, Nesterov momentum 0.9. */
    public static DiLoCoArgs defaults(int workers) {
        return new DiLoCoArgs(workers, 500, 0.7, 0.9);
    }

    /** Rounds that cover {@code totalSteps} inner steps: ceil(totalSteps / H). */
    public long rounds(long totalSteps) {
        return (totalSteps + innerSteps - 1) / innerSteps;
    }

    /** Inner steps of round r: H, or fewer in a last round capped at totalSteps. */
    public int stepsInRound(long round, long totalSteps) {
        long first = round * innerSteps;
        if (round < 0 || first >= totalSteps)
            throw new Blt4jException("DiLoCo: round " + round + " is outside the run's " + rounds(totalSteps) + " rounds ("
                    + totalSteps + " inner steps, H " + innerSteps + ")");
        return (int) Math.min(innerSteps, totalSteps - first);
    }
}
