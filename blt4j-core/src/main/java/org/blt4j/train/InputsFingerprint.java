package org.blt4j.train;

import org.blt4j.io.Sha256;

/**
 * What a run trains on, as 16 hex digits of a SHA-256: the training and held-out streams (and a BLT's entropies, so
 * another entropy model behind the same path shows), each after its length. Saved with every checkpoint; a resume whose
 * inputs differ is refused, since it could not continue the run exactly.
 */
final class InputsFingerprint {
    private InputsFingerprint() {}

    /** {@link #of}, computed on first use (only a run that saves or resumes needs it: not a DiLoCo worker's shard). */
    static java.util.function.Supplier<String> lazy(int[][] streams, float[][] entropies) {
        return new java.util.function.Supplier<>() {
            private String value;

            @Override
            public synchronized String get() {
                if (value == null) value = of(streams, entropies);
                return value;
            }
        };
    }

    static String of(int[][] streams, float[][] entropies) {
        Sha256 sha = new Sha256();
        for (int[] s : streams) sha.longs(s.length).ints(s);
        for (float[] h : entropies) sha.longs(h.length).floats(h);
        return sha.hex(8);
    }
}
