package org.blt4j.generate;

import java.util.List;
import org.blt4j.Blt4jException;

/**
 * Stop strings for streamed text: {@link #push} returns the part of the text that can be shown now. Text that could
 * still turn out to be the start of a stop string is held back until it is decided; once the text contains a stop
 * string, everything before its first occurrence has been returned, the stop string itself and anything after it never
 * are, and {@link #stopped()} is true.
 *
 * <p>The concatenation of every push and {@link #flush()} is the whole text cut before the earliest occurrence of any
 * stop string (the whole text when there is none), however the text was split into pushes.
 */
public final class StopStrings {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private String matched;

    /** @param stops the stop strings (may be empty: then nothing is held back); each must be non-empty */
    public StopStrings(List<String> stops) {
        for (String s : stops)
            if (s == null || s.isEmpty()) throw new Blt4jException("stop strings must not be empty");
        this.stops = List.copyOf(stops);
    }

    /** No stop strings: every push is returned as it is. */
    public static StopStrings none() {
        return new StopStrings(List.of());
    }

    /** Adds text; returns what can be shown now (possibly empty; always empty once stopped). */
    public String push(String text) {
        if (matched != null) return "";
        if (stops.isEmpty()) return text;
        held.append(text);
        // earliest occurrence of any stop string; at the same start the shorter one (both cut at the same place)
        int cut = -1;
        for (String s : stops) {
            int at = held.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut || at == cut && s.length() < matched.length())) {
                cut = at;
                matched = s;
            }
        }
        if (matched != null) {
            String out = held.substring(0, cut);
            held.setLength(0);
            return out;
        }
        int keep = longestPartialSuffix();
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** Ends the text: returns what was held back (nothing once stopped). */
    public String flush() {
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    /** True once the text contained a stop string. */
    public boolean stopped() {
        return matched != null;
    }

    /** The stop string found, or null. */
    public String matched() {
        return matched;
    }

    /** Number of chars held back. */
    public int heldBack() {
        return held.length();
    }

    /** Length of the longest suffix of held that is a proper prefix of a stop string. */
    private int longestPartialSuffix() {
        int n = held.length(), best = 0;
        for (String s : stops) {
            for (int len = Math.min(n, s.length() - 1); len > best; len--) {
                if (endsWithPrefix(n, s, len)) {
                    best = len;
                    break;
                }
            }
        }
        return best;
    }

    /** True when the last len chars of held are the first len chars of s. */
    private boolean endsWithPrefix(int n, String s, int len) {
        for (int i = 0; i < len; i++) if (held.charAt(n - len + i) != s.charAt(i)) return false;
        return true;
    }
}
