package org.blt4j.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MfuTest {
    @Test
    void achievedIsFlopsPerByteTimesBytesPerSecondAndMfuIsItsShareOfThePeak() {
        // 3,000,000 FLOPs/byte × 20,000 bytes/s = 60 GFLOP/s; of a 480 GFLOP/s peak: 12.5%
        Mfu m = new Mfu(3_000_000, 20_000, 480);
        assertEquals(60.0, m.achievedGflops(), 1e-9);
        assertEquals(0.125, m.utilization(), 1e-12);
        // no bytes trained: nothing achieved
        assertEquals(0.0, new Mfu(1e6, 0, 100).utilization());
    }

    @Test
    void lineHasEveryField() {
        String line = new Mfu(3_002_880, 17_369, 428.0).line("entropy model", 256);
        assertTrue(line.startsWith("entropy model "), line);
        assertTrue(line.contains("ctx  256"), line);
        assertTrue(line.contains("3,002,880 training FLOPs/byte"), line);
        assertTrue(line.contains("52.16 GFLOP/s achieved"), line);   // 3,002,880 × 17,369 / 1e9 = 52.157
        assertTrue(line.contains("428.0 peak"), line);
        assertTrue(line.contains("MFU 12.19%"), line);                // 52.157 / 428 = 12.186%
    }

    @Test
    void badInputIsRefusedWithItsName() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mfu(0, 1, 1)).getMessage().contains("FLOPs per byte"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mfu(1, Double.NaN, 1)).getMessage().contains("bytes per second"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mfu(1, 1, 0)).getMessage().contains("peak"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Mfu(1, 1, Double.POSITIVE_INFINITY)).getMessage().contains("peak"));
    }
}
