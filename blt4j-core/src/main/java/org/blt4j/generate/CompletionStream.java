package org.blt4j.generate;

import java.util.Arrays;
import java.util.function.BooleanSupplier;
import org.blt4j.text.Utf8StreamDecoder;

/**
 * Turns the ids a {@link Generator} produces into text as they come: UTF-8 decoding that holds back incomplete
 * characters, stop strings ({@link StopStrings}: the stop string is never shown), stopping at EOS, cancellation, and
 * where patches start. Pass it as the generator's listener, then call {@link #finish()}.
 *
 * <p>A byte starts a patch when the patch lengths of the step that produced it end with a 1: that step patched the
 * prefix with include_next_token, so its last patch is the one the new byte falls in. A patch start is reported at the
 * character the byte belongs to (a patch that starts inside a multi-byte character is shown at the character).
 */
public final class CompletionStream implements Generator.Listener {
    /** Why generation ended. */
    public enum Finish {
        /** the text contained a stop string */
        STOP_STRING,
        /** the model produced EOS */
        EOS,
        /** the byte budget was used up */
        LENGTH,
        /** {@code keepGoing} said no (time limit, client gone, ...) */
        CANCELLED;

        /** OpenAI's finish_reason: "stop" for a stop string or EOS, "length", and "time_limit" (not OpenAI's) when cancelled. */
        public String openAi() {
            return switch (this) {
                case STOP_STRING, EOS -> "stop";
                case LENGTH -> "length";
                case CANCELLED -> "time_limit";
            };
        }
    }

    /** Receives the text as it is decided, in order. */
    public interface Sink {
        /**
         * @param chunk       newly shown text (never empty)
         * @param patchStarts char offsets within chunk of the characters at which a patch starts, ascending
         */
        void text(String chunk, int[] patchStarts);
    }

    private final int eosId;
    private final boolean stopAtEos;
    private final StopStrings stops;
    private final BooleanSupplier keepGoing;
    private final Sink sink;
    private final Utf8StreamDecoder decoder = new Utf8StreamDecoder();
    private final StringBuilder shown = new StringBuilder();
    private int decodedLength;
    private int[] marks = new int[16]; // char offsets into the decoded text where patches start
    private int markCount, markShown;
    private boolean heldMark;
    private int generated;
    private int[] lastPatchLengths;
    private Finish finish;

    /**
     * @param eosId     the model's EOS id
     * @param stopAtEos end at EOS (otherwise EOS is skipped like any special id)
     * @param stops     stop strings (StopStrings.none() for none); not shared between streams
     * @param keepGoing asked after every byte; false cancels (null = never cancel)
     * @param sink      receives the text (null = only collect it, see {@link #text()})
     */
    public CompletionStream(int eosId, boolean stopAtEos, StopStrings stops, BooleanSupplier keepGoing, Sink sink) {
        this.eosId = eosId;
        this.stopAtEos = stopAtEos;
        this.stops = stops;
        this.keepGoing = keepGoing;
        this.sink = sink;
    }

    @Override
    public boolean onToken(int id, Generator.Step step) {
        if (finish != null) return false;
        generated++;
        lastPatchLengths = step.patchLengths();
        if (id == eosId && stopAtEos) {
            finish = Finish.EOS;
            return false;
        }
        boolean starts = startsPatch(step.patchLengths());
        String text = decoder.pushId(id);
        if (text.isEmpty()) {
            heldMark |= starts;
        } else {
            if (heldMark) addMark(decodedLength);
            heldMark = false;
            if (starts) addMark(decodedLength + text.length() - Character.charCount(text.codePointBefore(text.length())));
        }
        decodedLength += text.length();
        show(stops.push(text));
        if (stops.stopped()) {
            finish = Finish.STOP_STRING;
            return false;
        }
        if (keepGoing != null && !keepGoing.getAsBoolean()) {
            finish = Finish.CANCELLED;
            return false;
        }
        return true;
    }

    /** Ends the stream after the generator returned: shows what was held back (unless a stop string ended it). */
    public Finish finish() {
        if (finish == null) finish = Finish.LENGTH;
        if (finish != Finish.STOP_STRING) {
            String tail = decoder.flush();
            if (!tail.isEmpty() && heldMark) addMark(decodedLength);
            heldMark = false;
            decodedLength += tail.length();
            show(stops.push(tail));
            show(stops.flush());
        }
        return finish;
    }

    /** Why it ended; null before {@link #finish()} (or before a stop). */
    public Finish reason() {
        return finish;
    }

    /** The text shown so far. */
    public String text() {
        return shown.toString();
    }

    /** Char offsets into {@link #text()} where patches start. */
    public int[] patchStarts() {
        return Arrays.copyOf(marks, markShown);
    }

    /** Ids generated (including a final EOS and the bytes of a stop string). */
    public int generated() {
        return generated;
    }

    /**
     * Patch lengths of the last step: over the prompt (with BOS) and every generated id, the last one included; null
     * when nothing was generated.
     */
    public int[] patchLengths() {
        return lastPatchLengths;
    }

    /** True when the byte just produced by the step with these lengths starts a patch. */
    static boolean startsPatch(int[] lengths) {
        return lengths.length > 0 && lengths[lengths.length - 1] == 1;
    }

    private void addMark(int at) {
        if (markCount > 0 && marks[markCount - 1] == at) return;
        if (markCount == marks.length) marks = Arrays.copyOf(marks, 2 * markCount);
        marks[markCount++] = at;
    }

    private void show(String s) {
        if (s.isEmpty()) return;
        int from = shown.length(), to = from + s.length();
        int first = markShown;
        while (markShown < markCount && marks[markShown] < to) markShown++;
        int[] rel = new int[markShown - first];
        for (int i = 0; i < rel.length; i++) rel[i] = marks[first + i] - from;
        shown.append(s);
        if (sink != null) sink.text(s, rel);
    }
}
