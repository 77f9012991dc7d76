package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class SentencesTest {
    private static List<String> split(String text) {
        return Sentences.split(text).stream().map(s -> s.of(text)).toList();
    }

    @Test
    void endsAtPunctuationWithClosersAndSkipsAbbreviations() {
        assertEquals(List.of("Mr. Smith met Gen. Grant in the U.S. Senate.", "Did he?", "He said \"Yes!\"",
                        "(Applause.)", "It rose by 3.5 percent at 4 p.m. on Monday.", "J. Doe agreed."),
                split("  Mr. Smith met Gen. Grant in the U.S. Senate. Did he?\nHe said \"Yes!\" (Applause.) "
                        + "It rose by 3.5 percent at 4 p.m. on Monday.   J. Doe agreed. And then"));
    }

    @Test
    void aPeriodBeforeALowerCaseWordDoesNotEndASentence() {
        assertEquals(List.of("We paid approx. ten dollars.", "Done."), split("We paid approx. ten dollars. Done."));
        assertEquals(List.of("“Quoted.”", "Next!"), split("“Quoted.” Next!"));
    }

    @Test
    void emptyOrUnfinishedTextHasNoSentence() {
        assertEquals(List.of(), split(""));
        assertEquals(List.of(), split("   "));
        assertEquals(List.of(), split("no end here"));
        assertEquals(List.of("One."), split("One."));
    }
}
