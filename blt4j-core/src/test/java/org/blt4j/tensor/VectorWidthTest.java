package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** -Dblt4j.vectorBits: the widths it accepts, and the one line it prints for the others. */
class VectorWidthTest {
    @Test
    void acceptsTheWidthsUpToThePreferredOne() {
        assertNull(VectorWidth.problem(null, 256));
        assertNull(VectorWidth.problem("256", 512));
        assertNull(VectorWidth.problem(" 128 ", 256));
        assertNull(VectorWidth.problem("512", 512));
    }

    @Test
    void refusesOthersWithWhatToUse() {
        assertEquals("-Dblt4j.vectorBits=512 ignored: use 128, 256 or 512, at most this machine's 256 bits; using 256",
                VectorWidth.problem("512", 256));
        assertEquals("-Dblt4j.vectorBits=wide ignored: use 128, 256 or 512, at most this machine's 512 bits; using 512",
                VectorWidth.problem("wide", 512));
        assertEquals("-Dblt4j.vectorBits=64 ignored: use 128, 256 or 512, at most this machine's 512 bits; using 512",
                VectorWidth.problem("64", 512));
    }
}
