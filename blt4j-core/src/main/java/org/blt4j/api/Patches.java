package org.blt4j.api;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A text cut into patches by {@link Blt#patch}. The positions are BOS followed by the text's UTF-8 bytes, so
 * {@code bytes + 1} of them; {@code lengths} cover them in order (the first patch holds BOS) and sum to
 * {@code bytes + 1}, as the {@code patch} command reports them.
 *
 * @param lengths   patch lengths over BOS + the bytes
 * @param entropies one per position: {@code entropies[i]} is the entropy (nats) of the entropy model's prediction
 *                  made at position i, i.e. of position i + 1 (for the last: of the byte after the text); position
 *                  i &ge; 2 starts a patch when {@code entropies[i - 1]} is above the threshold
 * @param pieces    the text of each patch, one per length: a character belongs to the patch its first byte is in, so
 *                  a piece is always whole characters (possibly empty) and the pieces join to the text; the BOS
 *                  patch's piece holds the text bytes that patch covers, if any
 * @param bytes     the text's length in UTF-8 bytes
 * @param threshold the entropy threshold used (nats); NaN when the model's patching has none
 */
public record Patches(int[] lengths, float[] entropies, List<String> pieces, int bytes, double threshold) {
    /**
     * Copies the pieces (those {@link Blt#patch} makes, made when read, are kept as they are); the arrays are kept as
     * given (each call to {@link Blt#patch} makes new ones).
     */
    public Patches {
        pieces = pieces instanceof Pieces ? pieces : List.copyOf(pieces);
    }

    /** The number of patches, BOS's included. */
    public int count() {
        return lengths.length;
    }

    /** Equal when every component is, the arrays compared element by element (entropies bitwise). */
    @Override
    public boolean equals(Object o) {
        return o instanceof Patches p && Arrays.equals(lengths, p.lengths) && Arrays.equals(entropies, p.entropies)
                && pieces.equals(p.pieces) && bytes == p.bytes && Double.compare(threshold, p.threshold) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(lengths), Arrays.hashCode(entropies), pieces, bytes, threshold);
    }

    @Override
    public String toString() {
        return "Patches[lengths=" + Arrays.toString(lengths) + ", pieces=" + pieces + ", bytes=" + bytes + ", threshold="
                + threshold + "]";
    }
}
