package org.blt4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class DataSplitTest {
    private static byte[] concat(List<byte[]> docs) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] d : docs) out.writeBytes(d);
        return out.toByteArray();
    }

    private static List<byte[]> docs(String... s) {
        return java.util.Arrays.stream(s).map(x -> x.getBytes(StandardCharsets.UTF_8)).toList();
    }

    @Test
    void holdsOutTheLastFractionOfBytesCuttingTheBoundaryDocument() {
        List<byte[]> docs = docs("aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd");   // 40 bytes
        DataSplit s = DataSplit.split(docs, 0.25);                                         // cut at byte 30
        assertEquals(3, s.train().size());
        assertSame(docs.get(0), s.train().get(0));
        assertEquals(List.of("dddddddddd"), s.heldOut().stream().map(String::new).toList());
        DataSplit t = DataSplit.split(docs, 0.1);                                          // cut at byte 36
        assertEquals(List.of("dddddd"), t.train().subList(3, 4).stream().map(String::new).toList());
        assertEquals(List.of("dddd"), t.heldOut().stream().map(String::new).toList());
        assertEquals(4, t.heldOutBytes());
        assertEquals(36, t.trainBytes());
        assertArrayEquals(concat(docs), concat(java.util.stream.Stream.concat(t.train().stream(), t.heldOut().stream()).toList()));
    }

    @Test
    void neverCutsInsideAUtf8Character() {
        List<byte[]> docs = docs("ab☃☃☃☃");            // 2 + 4·3 = 14 bytes; cut at floor(14·0.7) = 9, inside the 3rd snowman
        DataSplit s = DataSplit.split(docs, 0.3);
        assertEquals("ab☃☃", new String(s.train().get(0), StandardCharsets.UTF_8));
        assertEquals("☃☃", new String(s.heldOut().get(0), StandardCharsets.UTF_8));
    }

    @Test
    void deterministicAndEdgeFractions() {
        List<byte[]> docs = docs("one", "two", "three");
        DataSplit a = DataSplit.split(docs, 0.37), b = DataSplit.split(docs, 0.37);
        assertArrayEquals(concat(a.train()), concat(b.train()));
        assertArrayEquals(concat(a.heldOut()), concat(b.heldOut()));
        assertEquals(0, DataSplit.split(docs, 0).heldOut().size());
        assertThrows(Blt4jException.class, () -> DataSplit.split(docs, 1.0));
        assertThrows(Blt4jException.class, () -> DataSplit.split(docs, -0.1));
        assertThrows(Blt4jException.class, () -> DataSplit.split(docs, Double.NaN));
    }

    @Test
    void lastTenPercentOfTheStateOfTheUnion() {
        Path sotu = Path.of("..", "data", "sotu.txt.gz");   // bundled (data/README.md)
        List<byte[]> docs = Corpus.read(sotu);
        assertEquals(233, docs.size());
        DataSplit s = DataSplit.split(docs, 0.1);
        long total = Corpus.totalBytes(docs);
        assertTrue(Math.abs(s.heldOutBytes() - total * 0.1) <= 4, s.heldOutBytes() + " of " + total);
        assertEquals(total, s.trainBytes() + s.heldOutBytes());
        assertTrue(new String(s.heldOut().get(s.heldOut().size() - 1), StandardCharsets.UTF_8).contains("America"));
    }
}
