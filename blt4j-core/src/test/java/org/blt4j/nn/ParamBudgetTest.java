package org.blt4j.nn;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class ParamBudgetTest {
    @Test
    void theMessageNamesParametersBytesAndHeap() {
        long heap = 1L << 30;
        assertDoesNotThrow(() -> ParamStore.requireFits(2e8, 1, heap, "m"));       // 0.8 GB of 1.07
        Blt4jException e = assertThrows(Blt4jException.class, () -> ParamStore.requireFits(2e8, 6, heap, "training m"));
        assertEquals("training m: 200 M parameters need 4.80 GB (6 fp32 copies), more than the heap's 1.07 GB"
                + " (Runtime.maxMemory); raise -Xmx (BLT4J_JAVA_OPTS) or shrink the config", e.getMessage());
        Blt4jException big = assertThrows(Blt4jException.class, () -> ParamStore.requireFits(3e9, 1, Long.MAX_VALUE, "m"));
        assertEquals("m: 3.00 G parameters (12.0 GB as fp32) are more than the 2^31 floats one Java array holds; this config"
                + " cannot be run by blt4j (check n_layers, dim and the vocabularies)", big.getMessage());
    }
}
