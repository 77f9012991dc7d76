package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Pins the entropy pass's bits: the CRC-32 of every entropy's float bits over ChunkedEntropiesTest's documents, for
 * chunkings with short and long warmups (long: whole attention blocks of warmup rows) on 1 and 2 threads, equals the
 * value the pass gave before its optimisations (recorded at commit 96c8b81). A change to the pass that moves any
 * entropy by one ulp fails here.
 */
class EntropyBatchBitsTest {
    static final long EXPECTED = 2848874931L;

    @BeforeAll
    static void load() {
        ChunkedEntropiesTest.load();
    }

    @Test
    void entropiesKeepTheirBits() {
        EntropyModel model = ChunkedEntropiesTest.model;
        List<Chunking> cs = new ArrayList<>(ChunkedEntropiesTest.chunkings());
        cs.add(new Chunking(100, 200, 60, 2));          // warmup > 2 query blocks of 64
        cs.add(new Chunking(150, 130, 1000, 2));
        CRC32 crc = new CRC32();
        for (Chunking c : cs)
            for (int threads : new int[] {1, 2}) {
                Chunking ct = new Chunking(c.chunkTokens(), c.warmup(), c.positionPeriod(), threads);
                for (float[] h : ChunkedEntropies.ofDocuments(model, ChunkedEntropiesTest.docs, ct))
                    for (float v : h) {
                        int b = Float.floatToRawIntBits(v);
                        crc.update(new byte[] {(byte) b, (byte) (b >> 8), (byte) (b >> 16), (byte) (b >> 24)});
                    }
            }
        assertEquals(EXPECTED, crc.getValue(), "entropy bits changed");
    }
}
