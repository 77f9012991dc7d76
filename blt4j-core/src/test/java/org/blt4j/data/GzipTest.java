package org.blt4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class GzipTest {
    @Test
    void repetitiveDataCompressesFarBelowOneBitPerByte() {
        byte[] data = "the cat sat on the mat. ".repeat(20_000).getBytes(StandardCharsets.US_ASCII);
        double bpb = Gzip.bitsPerByte(data);
        assertTrue(bpb > 0 && bpb < 0.05, "bpb " + bpb);
    }

    @Test
    void randomBytesCostAboutEightBitsPerByte() {
        byte[] data = new byte[100_000];
        new Random(1).nextBytes(data);
        double bpb = Gzip.bitsPerByte(data);
        assertTrue(bpb >= 8 && bpb < 8.01, "bpb " + bpb); // stored blocks plus framing
    }

    @Test
    void rangesAndFraming() {
        byte[] data = "abcabcabcabc".getBytes(StandardCharsets.US_ASCII);
        assertEquals(Gzip.compressedSize(data, 3, 6), Gzip.compressedSize("abcabc".getBytes(StandardCharsets.US_ASCII), 0, 6));
        assertTrue(Gzip.compressedSize(data, 0, 1) > Gzip.FRAMING_BYTES);
        assertThrows(Blt4jException.class, () -> Gzip.bitsPerByte(new byte[0]));
        assertThrows(IndexOutOfBoundsException.class, () -> Gzip.compressedSize(data, 10, 5));
    }

    /** The bundled sample was written by a zlib-based gzip at level 9: our count is within a fraction of a percent. */
    @Test
    void matchesTheBundledSampleFile() throws IOException {
        Path gz = Path.of("..", "data", "sotu-sample.txt.gz");
        assumeTrue(Files.isRegularFile(gz), "bundled sample not found from " + Path.of("").toAbsolutePath());
        byte[] text;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz))) {
            text = in.readAllBytes();
        }
        double ours = Gzip.bitsPerByte(text), file = 8.0 * Files.size(gz) / text.length;
        assertEquals(file, ours, 0.005 * file);
        assertTrue(ours > 2.7 && ours < 2.95, "bpb " + ours);
    }
}
