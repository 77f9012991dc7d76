package org.blt4j.tensor;

import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The vector width every kernel uses: the machine's preferred one (256 bits on AVX2, 512 on AVX-512), or a narrower
 * one chosen with {@code -Dblt4j.vectorBits=128|256|512} (in {@code BLT4J_JAVA_OPTS}), so that a test run can check
 * an AVX2 machine's arithmetic on an AVX-512 one. Results differ in the last bits between widths (lanes split sums
 * differently); within one width they do not depend on batch size, ranges or threads.
 */
public final class VectorWidth {
    private VectorWidth() {}

    /** the system property that picks the width */
    public static final String PROPERTY = "blt4j.vectorBits";

    private static final VectorShape SHAPE = shape();
    /** fp32 lanes of the chosen width */
    public static final VectorSpecies<Float> FLOAT = VectorSpecies.of(float.class, SHAPE);
    /** int lanes of the same width (as many lanes as {@link #FLOAT}) */
    public static final VectorSpecies<Integer> INT = VectorSpecies.of(int.class, SHAPE);

    private static VectorShape shape() {
        int preferred = VectorShape.preferredShape().vectorBitSize();
        String asked = System.getProperty(PROPERTY);
        String problem = problem(asked, preferred);
        if (problem != null) {
            System.err.println("blt4j: " + problem);
            return VectorShape.preferredShape();
        }
        return asked == null ? VectorShape.preferredShape() : VectorShape.forBitSize(Integer.parseInt(asked.trim()));
    }

    /** Why -Dblt4j.vectorBits=asked cannot be used with this preferred width, or null when it can (or is unset). */
    static String problem(String asked, int preferredBits) {
        if (asked == null) return null;
        int bits;
        try {
            bits = Integer.parseInt(asked.trim());
        } catch (NumberFormatException e) {
            bits = -1;
        }
        if ((bits == 128 || bits == 256 || bits == 512) && bits <= preferredBits) return null;
        return "-D" + PROPERTY + "=" + asked + " ignored: use 128, 256 or 512, at most this machine's "
                + preferredBits + " bits; using " + preferredBits;
    }
}
