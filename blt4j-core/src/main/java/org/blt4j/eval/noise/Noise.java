package org.blt4j.eval.noise;

import java.util.random.RandomGenerator;

/**
 * The paper's five noise types for the robustness evaluation (BLT paper §6.1), each a pure function of a text and,
 * for the random ones, a seeded generator.
 *
 * <p>All of them work on Unicode code points, never on UTF-16 units or UTF-8 bytes: a "character" is a code point, so
 * a supplementary character (an emoji, say) is dropped, repeated or spaced out whole and the result is always valid
 * text when the input is. Case is changed per code point with the simple mappings {@link Character#toUpperCase(int)} /
 * {@link Character#toLowerCase(int)}, which map one code point to one (so "ß" stays "ß" rather than becoming "SS", and
 * the number of code points never changes); caseless characters (digits, punctuation, spaces) are kept as they are.
 * Every code point is subject to the noise, spaces and punctuation included. Choices the definitions leave open:
 * <ul>
 *   <li>{@link #DROP} and {@link #REPEAT} pick each code point independently (a Bernoulli draw of rate 10% / 20%),
 *       so the rates hold on average and noise does not depend on the text's length;
 *   <li>{@link #REPEAT}: a picked code point appears 2, 3 or 4 times in all (uniformly), i.e. "up to 4 times";
 *   <li>{@link #ANT_SPEAK}: every code point (a space too) is upper-cased and one space is put between each two, so
 *       n code points give 2n − 1 ("a b" → "A   B").
 * </ul>
 * The random ones draw from the generator in code-point order: the same seed and text give the same output.
 */
public enum Noise {
    /** upper case, code points separated by one space */
    ANT_SPEAK,
    /** each code point removed with probability {@link #DROP_RATE} */
    DROP,
    /** each code point upper or lower case with probability 1/2 */
    RANDOM_CASE,
    /** each code point picked with probability {@link #REPEAT_RATE} appears 2–{@link #MAX_REPEAT} times in all */
    REPEAT,
    /** every code point upper case */
    UPPER_CASE;

    public static final double DROP_RATE = 0.10;
    public static final double REPEAT_RATE = 0.20;
    public static final int MAX_REPEAT = 4;

    /** Whether the output depends on the generator (false: {@code rng} may be null). */
    public boolean random() {
        return this == DROP || this == RANDOM_CASE || this == REPEAT;
    }

    /** The noised text; {@code rng} is read only by the {@link #random()} ones. */
    public String apply(String text, RandomGenerator rng) {
        if (random() && rng == null) throw new IllegalArgumentException(this + " needs a random generator");
        StringBuilder out = new StringBuilder(this == ANT_SPEAK || this == REPEAT ? 2 * text.length() : text.length());
        int[] cps = text.codePoints().toArray();
        for (int i = 0; i < cps.length; i++) {
            int c = cps[i];
            switch (this) {
                case ANT_SPEAK -> {
                    if (i > 0) out.append(' ');
                    out.appendCodePoint(Character.toUpperCase(c));
                }
                case DROP -> {
                    if (rng.nextDouble() >= DROP_RATE) out.appendCodePoint(c);
                }
                case RANDOM_CASE -> out.appendCodePoint(rng.nextBoolean() ? Character.toUpperCase(c) : Character.toLowerCase(c));
                case REPEAT -> {
                    int times = rng.nextDouble() < REPEAT_RATE ? 2 + rng.nextInt(MAX_REPEAT - 1) : 1;
                    for (int k = 0; k < times; k++) out.appendCodePoint(c);
                }
                case UPPER_CASE -> out.appendCodePoint(Character.toUpperCase(c));
            }
        }
        return out.toString();
    }

    /** The noise named as in the paper ("AntSpeak", "Drop", "RandomCase", "Repeat", "UpperCase") or as the constant. */
    public static Noise parse(String name) {
        String key = name.replace("_", "").replace("-", "").toLowerCase(java.util.Locale.ROOT);
        for (Noise n : values())
            if (n.name().replace("_", "").toLowerCase(java.util.Locale.ROOT).equals(key)) return n;
        throw new org.blt4j.Blt4jException("unknown noise '" + name + "'; valid: AntSpeak, Drop, RandomCase, Repeat, UpperCase");
    }
}
