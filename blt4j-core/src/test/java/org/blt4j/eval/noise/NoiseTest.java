package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

/** Property tests: each noise does what the paper's definition (as documented on {@link Noise}) says. */
class NoiseTest {
    private static final int N = 100_000;

    /** n code points of mixed letters, digits, spaces, accented and supplementary characters; no two adjacent equal. */
    private static String text(int n, long seed) {
        int[] alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,éÉßøΩω".codePoints().toArray();
        alphabet = java.util.stream.IntStream.concat(java.util.Arrays.stream(alphabet), java.util.stream.IntStream.of(0x1F600, 0x10400))
                .toArray();   // 😀, 𐐀 (Deseret capital, has a lower case)
        SplittableRandom r = new SplittableRandom(seed);
        StringBuilder sb = new StringBuilder();
        int prev = -1;
        for (int i = 0; i < n; i++) {
            int c;
            do c = alphabet[r.nextInt(alphabet.length)]; while (c == prev);
            sb.appendCodePoint(c);
            prev = c;
        }
        return sb.toString();
    }

    private static int[] cps(String s) {
        return s.codePoints().toArray();
    }

    private static void assertValidUtf16(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) assertTrue(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(++i)), "lone high surrogate");
            else assertTrue(!Character.isLowSurrogate(c), "lone low surrogate");
        }
    }

    @Test
    void upperCaseMapsEachCodePointAndKeepsTheCount() {
        String in = text(10_000, 1);
        int[] a = cps(in), b = cps(Noise.UPPER_CASE.apply(in, null));
        assertEquals(a.length, b.length);
        for (int i = 0; i < a.length; i++) assertEquals(Character.toUpperCase(a[i]), b[i]);
        assertEquals("HELLO, WORLD! ß 😀 𐐀", Noise.UPPER_CASE.apply("Hello, world! ß 😀 𐐨", null));
        assertEquals("", Noise.UPPER_CASE.apply("", null));
    }

    @Test
    void antSpeakIsUpperCaseWithOneSpaceBetweenCodePoints() {
        assertEquals("H E L L O ,   W !", Noise.ANT_SPEAK.apply("Hello, w!", null));
        assertEquals("😀 A", Noise.ANT_SPEAK.apply("😀a", null));
        assertEquals("X", Noise.ANT_SPEAK.apply("x", null));
        assertEquals("", Noise.ANT_SPEAK.apply("", null));
        String in = text(10_000, 2);
        int[] a = cps(in), b = cps(Noise.ANT_SPEAK.apply(in, null));
        assertEquals(2 * a.length - 1, b.length);
        for (int i = 0; i < b.length; i++) assertEquals(i % 2 == 0 ? Character.toUpperCase(a[i / 2]) : ' ', b[i]);
    }

    @Test
    void randomCaseChangesOnlyCaseHalfTheTime() {
        String in = text(N, 3);
        String out = Noise.RANDOM_CASE.apply(in, new SplittableRandom(7));
        int[] a = cps(in), b = cps(out);
        assertEquals(a.length, b.length);
        int cased = 0, upper = 0;
        for (int i = 0; i < a.length; i++) {
            int up = Character.toUpperCase(a[i]), low = Character.toLowerCase(a[i]);
            assertTrue(b[i] == up || b[i] == low, "code point " + i + " is neither case of the input");
            if (up != low) {
                cased++;
                if (b[i] == up) upper++;
            }
        }
        double rate = (double) upper / cased;   // sd = 0.5 / sqrt(cased) ≈ 0.0017
        assertTrue(Math.abs(rate - 0.5) < 0.01, "upper-case rate " + rate);
        assertValidUtf16(out);
    }

    @Test
    void dropRemovesAboutTenPercentKeepingTheRestInOrder() {
        String in = text(N, 4);
        String out = Noise.DROP.apply(in, new SplittableRandom(8));
        int[] a = cps(in), b = cps(out);
        int j = 0;   // b is a subsequence of a
        for (int i = 0; i < a.length && j < b.length; i++) if (a[i] == b[j]) j++;
        assertEquals(b.length, j, "the kept code points are not the input's, in order");
        double rate = 1 - (double) b.length / a.length;   // sd = sqrt(0.09 / N) ≈ 0.00095
        assertTrue(Math.abs(rate - Noise.DROP_RATE) < 0.005, "drop rate " + rate);
        assertValidUtf16(out);
        assertEquals("", Noise.DROP.apply("", new SplittableRandom(1)));
    }

    @Test
    void repeatRepeatsAboutTwentyPercentTwoToFourTimesInAll() {
        String in = text(N, 5);   // no two adjacent code points equal: each run of the output is one input code point
        String out = Noise.REPEAT.apply(in, new SplittableRandom(9));
        int[] a = cps(in), b = cps(out);
        List<Integer> runs = new ArrayList<>();
        int k = 0;
        for (int i = 0; i < b.length; ) {
            int j = i;
            while (j < b.length && b[j] == b[i]) j++;
            assertEquals(a[k++], b[i], "run " + (k - 1) + " is not the input's code point");
            runs.add(j - i);
            i = j;
        }
        assertEquals(a.length, k);
        int[] byTimes = new int[Noise.MAX_REPEAT + 1];
        for (int r : runs) {
            assertTrue(r >= 1 && r <= Noise.MAX_REPEAT, "a code point appears " + r + " times");
            byTimes[r]++;
        }
        int repeated = N - byTimes[1];
        double rate = (double) repeated / N;   // sd ≈ 0.0013
        assertTrue(Math.abs(rate - Noise.REPEAT_RATE) < 0.007, "repeat rate " + rate);
        for (int t = 2; t <= Noise.MAX_REPEAT; t++) {   // uniform over 2..4: sd ≈ 0.0074
            double share = (double) byTimes[t] / repeated;
            assertTrue(Math.abs(share - 1.0 / 3) < 0.03, t + " times: share " + share);
        }
        assertValidUtf16(out);
        assertEquals("", Noise.REPEAT.apply("", new SplittableRandom(1)));
    }

    @Test
    void randomNoisesAreDeterministicForASeedAndDifferAcrossSeeds() {
        String in = text(2_000, 6);
        for (Noise n : Noise.values()) {
            assertEquals(n.apply(in, new SplittableRandom(42)), n.apply(in, new SplittableRandom(42)), n.name());
            if (n.random()) {
                assertNotEquals(n.apply(in, new SplittableRandom(42)), n.apply(in, new SplittableRandom(43)), n.name());
                assertThrows(IllegalArgumentException.class, () -> n.apply("x", null));
            }
            assertEquals("", n.apply("", new SplittableRandom(0)), n.name());
        }
        // java.util.Random works too
        assertEquals(Noise.DROP.apply(in, new java.util.Random(5)), Noise.DROP.apply(in, new java.util.Random(5)));
    }

    @Test
    void namesParseAsInThePaper() {
        assertEquals(Noise.ANT_SPEAK, Noise.parse("AntSpeak"));
        assertEquals(Noise.RANDOM_CASE, Noise.parse("random_case"));
        assertEquals(Noise.UPPER_CASE, Noise.parse("UpperCase"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> Noise.parse("shout"));
        assertTrue(e.getMessage().contains("AntSpeak, Drop, RandomCase, Repeat, UpperCase"), e.getMessage());
        assertEquals(NoiseWhere.BOTH, NoiseWhere.parse("Both"));
        assertThrows(Blt4jException.class, () -> NoiseWhere.parse("prompt"));
    }
}
