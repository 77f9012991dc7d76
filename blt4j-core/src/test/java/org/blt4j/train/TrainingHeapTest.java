package org.blt4j.train;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;

class TrainingHeapTest {
    @Test
    void trainingCountsMomentsAndGradientsToo() {
        long heap = Runtime.getRuntime().maxMemory();
        int rows = (int) Math.min(Integer.MAX_VALUE / 1024 - 1, heap / 4 / 1024 / 2);   // half the heap as fp32
        List<ParamStore.Spec> specs = List.of(new ParamStore.Spec("w", rows, 1024));
        ParamStore.requireFits(ParamStore.numel(specs), 1, "to run");                   // fits once
        Blt4jException e = assertThrows(Blt4jException.class, () -> Training.requireTrainable(specs, "BLT"));
        assertTrue(e.getMessage().startsWith("training the BLT (parameters, AdamW's 2 moments, ") && e.getMessage().contains("fp32 copies"),
                e.getMessage());
    }
}
