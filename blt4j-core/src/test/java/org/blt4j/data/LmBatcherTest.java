package org.blt4j.data;

import org.blt4j.text.Documents;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

class LmBatcherTest {
    static int[] stream() {
        List<byte[]> docs = new ArrayList<>();
        for (int d = 0; d < 7; d++) docs.add(("document " + d + " " + "xyz".repeat(d * 3)).getBytes(StandardCharsets.UTF_8));
        return TokenStream.encode(docs);
    }

    @Test
    void streamIsBosBytesEosPerDocument() {
        int[] ids = TokenStream.encode(List.of("ab".getBytes(StandardCharsets.UTF_8), new byte[] {(byte) 0xFF}));
        assertArrayEquals(new int[] {1, 'a' + 4, 'b' + 4, 2, 1, 259, 2}, ids);
        assertArrayEquals(new int[] {0, 4}, Documents.starts(ids));
        assertEquals(4, Documents.startOf(Documents.starts(ids), 6));
    }

    @Test
    void rowsAreShiftedByOneAndCoverEveryTargetOnce() {
        int[] ids = stream();
        int seqLen = 16;
        LmBatcher b = new LmBatcher(ids, 3, seqLen, null);
        long rows = b.rowsPerEpoch();
        assertEquals((ids.length - 1) / seqLen, rows);
        List<Integer> targets = new ArrayList<>();
        for (long r = 0; r < rows; r += 3) {
            LmBatcher.Batch batch = b.next();
            for (int i = 0; i < 3 && r + i < rows; i++) {
                int[] x = batch.x()[i], y = batch.y()[i];
                assertEquals(seqLen, x.length);
                assertArrayEquals(Arrays.copyOfRange(x, 1, seqLen), Arrays.copyOf(y, seqLen - 1));
                assertArrayEquals(Arrays.copyOfRange(ids, (int) (r + i) * seqLen, (int) (r + i) * seqLen + seqLen), x);
                for (int t : y) targets.add(t);
            }
        }
        int[] expected = Arrays.copyOfRange(ids, 1, 1 + (int) rows * seqLen);
        assertArrayEquals(expected, targets.stream().mapToInt(Integer::intValue).toArray());
        assertEquals(ByteTokenizer.BOS_ID, b.row(0)[0]);
    }

    @Test
    void seekResumesWithIdenticalBatchesAcrossEpochs() {
        int[] ids = stream();
        for (Long seed : new Long[] {null, 42L}) {
            LmBatcher a = new LmBatcher(ids, 4, 8, seed);
            List<LmBatcher.Batch> first = new ArrayList<>();
            for (int k = 0; k < 30; k++) first.add(a.next());             // several epochs
            assertEquals(120, a.position());
            LmBatcher resumed = new LmBatcher(ids, 4, 8, seed);
            resumed.seek(first.get(17).firstRow());
            for (int k = 17; k < 30; k++) {
                LmBatcher.Batch got = resumed.next();
                assertTrue(Arrays.deepEquals(first.get(k).x(), got.x()) && Arrays.deepEquals(first.get(k).y(), got.y()), "batch " + k);
            }
        }
    }

    @Test
    void shuffledEpochsArePermutationsOfTheRows() {
        int[] ids = stream();
        LmBatcher inOrder = new LmBatcher(ids, 1, 8, null), shuffled = new LmBatcher(ids, 1, 8, 7L);
        long rows = inOrder.rowsPerEpoch();
        for (long epoch = 0; epoch < 2; epoch++) {
            List<String> a = new ArrayList<>(), b = new ArrayList<>();
            for (long r = 0; r < rows; r++) {
                a.add(Arrays.toString(inOrder.row(epoch * rows + r)));
                b.add(Arrays.toString(shuffled.row(epoch * rows + r)));
            }
            assertNotEquals(a, b);
            a.sort(null);
            b.sort(null);
            assertEquals(a, b);
        }
        assertNotEquals(Arrays.toString(shuffled.row(0)) + shuffled.row(1)[0], Arrays.toString(shuffled.row(rows)) + shuffled.row(rows + 1)[0]);
    }

    @Test
    void badArguments() {
        Blt4jException e = assertThrows(Blt4jException.class, () -> new LmBatcher(new int[10], 1, 10, null));
        assertTrue(e.getMessage().contains("10 tokens") && e.getMessage().contains("needs 11"), e.getMessage());
        assertThrows(Blt4jException.class, () -> new LmBatcher(new int[10], 0, 4, null));
        assertThrows(Blt4jException.class, () -> new LmBatcher(stream(), 1, 4, null).seek(-1));
    }
}
