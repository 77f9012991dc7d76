package org.blt4j.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Utf8StreamDecoderTest {

    @Test
    void holdsBackIncompleteSequence() {
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        byte[] smile = "🙂".getBytes(StandardCharsets.UTF_8); // 4 bytes
        assertEquals("a", d.push((byte) 'a'));
        for (int i = 0; i < 3; i++) {
            assertEquals("", d.push(smile[i]));
            assertEquals(i + 1, d.pendingBytes());
        }
        assertEquals("🙂", d.push(smile[3]));
        assertEquals(0, d.pendingBytes());
        assertEquals("", d.flush());
    }

    @Test
    void idsAndSpecials() {
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int id : ByteTokenizer.encode("é!", true, true)) sb.append(d.pushId(id));
        assertEquals("é!", sb.toString());
    }

    @Test
    void invalidBytesAreReplacedAtOnce() {
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("\uFFFD", d.push((byte) 0xFF));
        assertEquals("", d.push((byte) 0xE2));
        assertEquals("\uFFFDx", d.push((byte) 'x')); // the truncated sequence is malformed once 'x' arrives
        assertEquals("", d.push((byte) 0xF0));
        assertEquals("\uFFFD", d.flush()); // still incomplete at the end
    }

    @Test
    void rejectsImpossiblePrefixesImmediately() {
        // E0 80 can never become a well-formed sequence (overlong), so nothing is held back
        Utf8StreamDecoder d = new Utf8StreamDecoder();
        assertEquals("", d.push((byte) 0xE0));
        String out = d.push((byte) 0x80);
        assertEquals(0, d.pendingBytes());
        assertEquals(new String(new byte[] {(byte) 0xE0, (byte) 0x80}, StandardCharsets.UTF_8), out);
    }

    @Test
    void chunkedDecodingEqualsWholeDecoding() {
        Random rnd = new Random(42);
        byte[] pool = "aZ é日🙂".getBytes(StandardCharsets.UTF_8);
        int[] edge = {0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF};
        for (int trial = 0; trial < 20000; trial++) {
            byte[] all = new byte[rnd.nextInt(24)];
            for (int i = 0; i < all.length; i++)
                all[i] = switch (rnd.nextInt(4)) {
                    case 0 -> (byte) rnd.nextInt(256);
                    case 1 -> (byte) edge[rnd.nextInt(edge.length)];
                    default -> pool[rnd.nextInt(pool.length)];
                };
            Utf8StreamDecoder d = new Utf8StreamDecoder();
            StringBuilder sb = new StringBuilder();
            int i = 0;
            while (i < all.length) {
                int k = Math.min(all.length - i, 1 + rnd.nextInt(3));
                byte[] chunk = java.util.Arrays.copyOfRange(all, i, i + k);
                sb.append(d.push(chunk));
                i += k;
            }
            sb.append(d.flush());
            assertEquals(new String(all, StandardCharsets.UTF_8), sb.toString(), () -> java.util.Arrays.toString(all));
        }
    }
}
