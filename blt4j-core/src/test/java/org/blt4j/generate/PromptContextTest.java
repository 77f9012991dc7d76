package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ModelLoader;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

class PromptContextTest {
    @Test
    void theContextIsMaxEncoderSeqLength() {
        var args = ModelLoader.blt(GoldenCases.root().resolve("blt_base"), true).args();
        assertEquals(1024, args.maxEncoderSeqLength());
        assertEquals(1024, PromptContext.of(args));
    }

    @Test
    void aShortPromptIsKeptWhole() {
        byte[] b = "é and more".getBytes(StandardCharsets.UTF_8);
        PromptContext.Prompt p = PromptContext.cut(b, 0, 64);
        assertFalse(p.truncated());
        assertArrayEquals(ByteTokenizer.encode(b, true, false), p.ids());
        assertArrayEquals(ByteTokenizer.encode(b, true, false), PromptContext.cut(b, 0, b.length + 1).ids());
    }

    @Test
    void aLongPromptKeepsBosAndItsLastBytesFromACharacterBoundary() {
        byte[] b = "abcdefghij".getBytes(StandardCharsets.UTF_8);
        PromptContext.Prompt p = PromptContext.cut(b, 0, 5);              // BOS + 4 bytes
        assertTrue(p.truncated());
        assertEquals(6, p.droppedBytes());
        assertArrayEquals(ByteTokenizer.encode("ghij", true, false), p.ids());
        byte[] u = "xx€€".getBytes(StandardCharsets.UTF_8);               // € is 3 bytes: the last 4 start inside one
        PromptContext.Prompt q = PromptContext.cut(u, 0, 5);
        assertArrayEquals(ByteTokenizer.encode("€", true, false), q.ids());
        assertEquals(u.length - 3, q.droppedBytes());
        PromptContext.Prompt r = PromptContext.cut(Arrays.copyOfRange(b, 4, 10), 4, 5); // a tail read from a file
        assertEquals(6, r.droppedBytes());
        assertArrayEquals(p.ids(), r.ids());
    }
}
