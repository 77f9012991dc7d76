package org.blt4j.eval.noise;

/** A model's log-likelihood of a continuation's bytes given a context's bytes (what a four-way choice needs). */
@FunctionalInterface
public interface ContinuationScorer {
    /**
     * @param logLikelihood total log-likelihood, in nats, of the continuation's bytes (≤ 0)
     * @param bytes         how many bytes it covers (> 0)
     */
    record Score(double logLikelihood, long bytes) {
        public Score {
            if (bytes <= 0) throw new IllegalArgumentException("a score must cover at least one byte, got " + bytes);
            if (Double.isNaN(logLikelihood)) throw new IllegalArgumentException("log-likelihood is NaN");
        }

        /** Log-likelihood per byte (nats). */
        public double perByte() {
            return logLikelihood / bytes;
        }
    }

    /** The score of {@code continuation} read after {@code context}. */
    Score score(byte[] context, byte[] continuation);
}
