package org.blt4j.study;

import java.util.Locale;
import org.blt4j.Blt4jException;

/**
 * One arm of a study: what kind of model it trains. Named in a study config as {@code bpe}, {@code bytes},
 * {@code blt-space}, {@code blt-static} or {@code blt-entropy-P} (entropy patching at about P bytes per patch).
 *
 * @param name      the config's name, e.g. "blt-entropy-4.5"
 * @param type      the model and patching
 * @param patchSize BLT_ENTROPY: the target bytes per patch; NaN for the others (measured on the data)
 */
public record Arm(String name, Type type, double patchSize) {

    public enum Type {
        /** the token LM over a BPE trained on the training split */
        BPE,
        /** a plain byte-level transformer: every byte its own position */
        BYTES,
        /** BLT, a patch starts after a space-like byte (SpaceByte-like) */
        BLT_SPACE,
        /** BLT, patches of a fixed size (MEGABYTE-like): the reference arm's measured average, rounded */
        BLT_STATIC,
        /** BLT, a patch starts where the entropy model's next-byte entropy exceeds a threshold */
        BLT_ENTROPY;

        public boolean isBlt() {
            return this == BLT_SPACE || this == BLT_STATIC || this == BLT_ENTROPY;
        }
    }

    static final String VALID = "bpe, bytes, blt-space, blt-static, blt-entropy-P (P: bytes per patch, e.g. blt-entropy-4.5)";

    /** Parses an arm name; an unknown one is a one-line error listing the valid ones. */
    public static Arm parse(String name) {
        if (name == null) throw new Blt4jException("study config: an arm is null; valid arms: " + VALID);
        String n = name.strip().toLowerCase(Locale.ROOT);
        switch (n) {
            case "bpe": return new Arm(n, Type.BPE, Double.NaN);
            case "bytes": return new Arm(n, Type.BYTES, Double.NaN);
            case "blt-space": return new Arm(n, Type.BLT_SPACE, Double.NaN);
            case "blt-static": return new Arm(n, Type.BLT_STATIC, Double.NaN);
            default:
        }
        if (n.startsWith("blt-entropy-")) {
            double p;
            try {
                p = Double.parseDouble(n.substring("blt-entropy-".length()));
            } catch (NumberFormatException e) {
                p = Double.NaN;
            }
            if (!(p >= 1.5 && p <= 64))
                throw new Blt4jException("study config: arm '" + name + "': the patch size after blt-entropy- must be a number in [1.5, 64]");
            return new Arm(n, Type.BLT_ENTROPY, p);
        }
        throw new Blt4jException("study config: unknown arm type '" + name + "'; valid: " + VALID);
    }

    /** A file-name-safe form of the name. */
    public String slug() {
        return name.replaceAll("[^a-z0-9.-]", "_");
    }
}
