package org.blt4j.eval.noise;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A rule-based sentence splitter for English prose. A sentence ends after '.', '!' or '?', together with any closing
 * quotes or brackets right after it ({@code " ' ” ’ ) ] »}), when what follows is whitespace or the end of the text.
 * A '.' does not end a sentence when
 * <ul>
 *   <li>the next non-space character is not an upper-case letter, a digit or an opening quote/bracket
 *       ("approx. ten", "p. 4" aside); or
 *   <li>the word before it is an abbreviation: a single letter ("J. Smith"), a word holding a '.' ("U.S.", "a.m.") or
 *       one of {@link #ABBREVIATIONS} ("Mr.", "Gen.").
 * </ul>
 * A sentence runs from the first non-whitespace character after the previous one's end to its own end; the whitespace
 * between sentences belongs to neither. Text after the last sentence end (an unfinished sentence) is not a sentence.
 * Offsets are UTF-16 indices into the text.
 */
public final class Sentences {
    private Sentences() {}

    /** Words that end with a '.' without ending a sentence (compared as written, without the '.'). */
    public static final Set<String> ABBREVIATIONS = Set.of("Mr", "Mrs", "Ms", "Messrs", "Dr", "St", "Jr", "Sr", "Gen",
            "Gov", "Sen", "Rep", "Hon", "Col", "Capt", "Lt", "Maj", "Sgt", "Adm", "Prof", "Rev", "Mt", "No", "Nos",
            "vs", "etc", "Inc", "Co", "Corp", "Ltd", "Jan", "Feb", "Mar", "Apr", "Aug", "Sept", "Sep", "Oct", "Nov",
            "Dec", "Art", "Sec", "Vol", "cf", "viz");

    /** A sentence: text[start, end). */
    public record Span(int start, int end) {
        public String of(String text) {
            return text.substring(start, end);
        }
    }

    /** The sentences of a text, in order. */
    public static List<Span> split(String text) {
        List<Span> out = new ArrayList<>();
        int n = text.length();
        int start = skipSpace(text, 0);
        for (int i = start; i < n; i++) {
            char c = text.charAt(i);
            if (c != '.' && c != '!' && c != '?') continue;
            int end = i + 1;
            while (end < n && isCloser(text.charAt(end))) end++;
            if (end < n && !Character.isWhitespace(text.charAt(end))) continue;
            if (c == '.' && !endsSentenceAtPeriod(text, i, end)) continue;
            if (end > start) out.add(new Span(start, end));
            start = skipSpace(text, end);
            i = Math.max(i, start - 1);
        }
        return out;
    }

    private static boolean endsSentenceAtPeriod(String text, int dot, int end) {
        int next = skipSpace(text, end);
        if (next < text.length()) {
            int c = text.codePointAt(next);
            if (!(Character.isUpperCase(c) || Character.isDigit(c) || isOpener(c))) return false;
        }
        int w = dot;
        while (w > 0 && !Character.isWhitespace(text.charAt(w - 1)) && !isOpener(text.charAt(w - 1))) w--;
        String word = text.substring(w, dot);
        if (word.isEmpty()) return true;
        if (word.codePointCount(0, word.length()) == 1 && Character.isLetter(word.codePointAt(0))) return false;
        return word.indexOf('.') < 0 && !ABBREVIATIONS.contains(word);
    }

    private static boolean isCloser(char c) {
        return c == '"' || c == '\'' || c == '”' || c == '’' || c == ')' || c == ']' || c == '»';
    }

    private static boolean isOpener(int c) {
        return c == '"' || c == '\'' || c == '“' || c == '‘' || c == '(' || c == '[' || c == '«';
    }

    private static int skipSpace(String text, int i) {
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) i++;
        return i;
    }
}
