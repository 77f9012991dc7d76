package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void holdsBackWhatCouldStartAStopString() {
        StopStrings s = new StopStrings(List.of("END"));
        assertEquals("abc", s.push("abc"));
        assertEquals("", s.push("E"));
        assertEquals(1, s.heldBack());
        assertEquals("", s.push("N"));
        assertEquals("ENx", s.push("x")); // not the stop string after all: released
        assertEquals("", s.push("EN"));
        assertEquals("", s.push("D and more"));
        assertTrue(s.stopped());
        assertEquals("END", s.matched());
        assertEquals("", s.push("later"));
        assertEquals("", s.flush());
    }

    @Test
    void stopInsideOnePush() {
        StopStrings s = new StopStrings(List.of("\n\n", "###"));
        assertEquals("one\ntwo", s.push("one\ntwo\n\nthree"));
        assertEquals("\n\n", s.matched());
    }

    @Test
    void earliestOccurrenceWins() {
        StopStrings s = new StopStrings(List.of("world", "lo"));
        assertEquals("hel", s.push("hello world"));
        assertEquals("lo", s.matched());
    }

    @Test
    void flushReleasesAPartialMatchAtTheEnd() {
        StopStrings s = new StopStrings(List.of("stop"));
        assertEquals("a ", s.push("a sto"));
        assertEquals("sto", s.flush());
        assertFalse(s.stopped());
        assertNull(s.matched());
    }

    @Test
    void noStopStringsPassEverything() {
        StopStrings s = StopStrings.none();
        assertEquals("anything", s.push("anything"));
        assertEquals(0, s.heldBack());
    }

    @Test
    void emptyStopStringIsRejected() {
        assertThrows(Blt4jException.class, () -> new StopStrings(List.of("a", "")));
    }

    @Test
    void overlappingPrefixesAreHeldLongEnough() {
        StopStrings s = new StopStrings(List.of("aab"));
        assertEquals("", s.push("a"));
        assertEquals("", s.push("a"));
        assertEquals("a", s.push("a")); // "aaa": only the last two can still start "aab"
        assertEquals("", s.push("b"));
        assertTrue(s.stopped());
    }

    /** However the text is split, the output is the text cut before the first stop string. */
    @Test
    void splitDoesNotMatter() {
        Random r = new Random(7);
        String alphabet = "ab\né";
        for (int trial = 0; trial < 2000; trial++) {
            StringBuilder t = new StringBuilder();
            int n = r.nextInt(30);
            for (int i = 0; i < n; i++) t.append(alphabet.charAt(r.nextInt(alphabet.length())));
            List<String> stops = List.of(randomString(r, alphabet), randomString(r, alphabet));
            String text = t.toString();
            int cut = text.length();
            for (String st : stops) {
                int at = text.indexOf(st);
                if (at >= 0) cut = Math.min(cut, at);
            }
            String expected = text.substring(0, cut);
            StopStrings s = new StopStrings(stops);
            StringBuilder out = new StringBuilder();
            int pos = 0;
            while (pos < text.length()) {
                int len = 1 + r.nextInt(4);
                int end = Math.min(text.length(), pos + len);
                out.append(s.push(text.substring(pos, end)));
                // whatever was shown cannot be part of a stop string
                assertTrue(expected.startsWith(out.toString()), text + " " + stops);
                pos = end;
            }
            out.append(s.flush());
            assertEquals(expected, out.toString(), text + " " + stops);
            assertEquals(cut < text.length(), s.stopped(), text + " " + stops);
        }
    }

    private static String randomString(Random r, String alphabet) {
        int n = 1 + r.nextInt(3);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        return b.toString();
    }
}
