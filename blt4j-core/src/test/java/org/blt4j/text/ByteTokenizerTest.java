package org.blt4j.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ByteTokenizerTest {

    @Test
    void encodeAddsOffsetAndSpecials() {
        assertArrayEquals(new int[] {1, 'H' + 4, 'i' + 4}, ByteTokenizer.encode("Hi", true, false));
        assertArrayEquals(new int[] {'H' + 4, 'i' + 4, 2}, ByteTokenizer.encode("Hi", false, true));
        assertArrayEquals(new int[] {1, 2}, ByteTokenizer.encode("", true, true));
        // é = C3 A9
        assertArrayEquals(new int[] {0xC3 + 4, 0xA9 + 4}, ByteTokenizer.encode("é", false, false));
        assertArrayEquals(new int[] {1, 4, 259}, ByteTokenizer.encode(new byte[] {0, (byte) 0xFF}, true, false));
        assertEquals(260, ByteTokenizer.VOCAB_SIZE);
    }

    @Test
    void roundTripUnicode() {
        String s = "Héllo, wörld! 日本語 🙂 \n\t end";
        int[] ids = ByteTokenizer.encode(s, true, true);
        assertEquals(s.getBytes(StandardCharsets.UTF_8).length + 2, ids.length);
        assertEquals(s, ByteTokenizer.decode(ids));
        assertEquals(s, ByteTokenizer.decode(ids, true));
        assertArrayEquals(s.getBytes(StandardCharsets.UTF_8), ByteTokenizer.decodeBytes(ids));
    }

    @Test
    void decodeDropsSpecialAndOutOfRangeIds() {
        int[] ids = {0, 1, 'a' + 4, 2, 3, -1, 260, 999, 'b' + 4};
        assertEquals("ab", ByteTokenizer.decode(ids));
        assertArrayEquals(new byte[] {'a', 'b'}, ByteTokenizer.decodeBytes(ids));
    }

    @Test
    void invalidUtf8NeverFails() {
        // a lone continuation byte, a truncated 3-byte sequence, an invalid byte 0xFF
        int[] ids = ByteTokenizer.encode(new byte[] {'a', (byte) 0x80, 'b', (byte) 0xE2, (byte) 0x82, 'c', (byte) 0xFF}, true, false);
        assertEquals("a\uFFFDb\uFFFDc\uFFFD", ByteTokenizer.decode(ids));
        assertEquals("abc", ByteTokenizer.decode(ids, true)); // the reference's errors="ignore"
    }

    @Test
    void unpairedSurrogateIsDroppedOnEncode() {
        assertArrayEquals(new int[] {'a' + 4, 'b' + 4}, ByteTokenizer.encode("a\uD800b", false, false));
    }
}
