package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

class CompletionStreamTest {
    /** Feeds the bytes of text as ids; the bytes at the given byte indices start patches. */
    static boolean feed(CompletionStream cs, byte[] bytes, int... starts) {
        for (int i = 0; i < bytes.length; i++) {
            boolean start = false;
            for (int s : starts) start |= s == i;
            int[] lengths = start ? new int[] {1, 3, 1} : new int[] {1, 3, 2};
            if (!cs.onToken(ByteTokenizer.idOf(bytes[i]), new Generator.Step(lengths, null))) return false;
        }
        return true;
    }

    record Chunk(String text, int[] starts) {}

    @Test
    void streamsTextAndPatchStarts() {
        List<Chunk> chunks = new ArrayList<>();
        CompletionStream cs = new CompletionStream(ByteTokenizer.EOS_ID, true, StopStrings.none(), null,
                (t, s) -> chunks.add(new Chunk(t, s)));
        byte[] b = "ab€c".getBytes(StandardCharsets.UTF_8); // a b [e2 82 ac] c
        feed(cs, b, 0, 3, 5); // a, the euro's 2nd byte, c
        assertEquals(CompletionStream.Finish.LENGTH, cs.finish());
        assertEquals("ab€c", cs.text());
        assertArrayEquals(new int[] {0, 2, 3}, cs.patchStarts()); // the euro is marked as a whole
        assertEquals(List.of("a", "b", "€", "c"), chunks.stream().map(Chunk::text).toList());
        assertArrayEquals(new int[] {0}, chunks.get(2).starts());
        assertArrayEquals(new int[] {}, chunks.get(1).starts());
        assertEquals(6, cs.generated());
    }

    @Test
    void stopStringIsNotShown() {
        StringBuilder out = new StringBuilder();
        CompletionStream cs = new CompletionStream(ByteTokenizer.EOS_ID, true, new StopStrings(List.of("\n\n")), null,
                (t, s) -> out.append(t));
        boolean more = feed(cs, "line\n\nnext".getBytes(StandardCharsets.UTF_8), 4, 5);
        assertEquals(false, more);
        assertEquals(CompletionStream.Finish.STOP_STRING, cs.finish());
        assertEquals("line", out.toString());
        assertEquals("line", cs.text());
        assertArrayEquals(new int[] {}, cs.patchStarts()); // the marks inside the stop string are not shown
        assertEquals(6, cs.generated());
        assertEquals("stop", cs.reason().openAi());
    }

    @Test
    void eosEndsAndHeldTextIsReleased() {
        CompletionStream cs = new CompletionStream(ByteTokenizer.EOS_ID, true, new StopStrings(List.of("xyz")), null, null);
        feed(cs, "abx".getBytes(StandardCharsets.UTF_8));
        assertEquals("ab", cs.text()); // "x" could start "xyz"
        assertEquals(false, cs.onToken(ByteTokenizer.EOS_ID, new Generator.Step(new int[] {1, 4}, null)));
        assertEquals(CompletionStream.Finish.EOS, cs.finish());
        assertEquals("abx", cs.text());
        assertEquals(4, cs.generated());
    }

    @Test
    void incompleteTailAndCancel() {
        int[] calls = {0};
        CompletionStream cs = new CompletionStream(ByteTokenizer.EOS_ID, true, StopStrings.none(), () -> ++calls[0] < 2, null);
        byte[] b = {'a', (byte) 0xE2, (byte) 0x82};
        boolean more = feed(cs, b, 1);
        assertEquals(false, more);
        assertEquals(CompletionStream.Finish.CANCELLED, cs.finish());
        assertEquals("a\uFFFD", cs.text()); // the held, never completed lead byte
        assertArrayEquals(new int[] {1}, cs.patchStarts());
        assertEquals("time_limit", cs.reason().openAi());
    }
}
