package org.blt4j.generate;

import org.blt4j.model.BltArgs;
import org.blt4j.text.ByteTokenizer;

/**
 * What a BLT can attend to, and a prompt cut to it. The context is the reference's {@code max_encoder_seq_length}: the
 * longest byte sequence (BOS included) its local encoder and decoder were built for (their RoPE tables cover that many
 * positions); without it, {@code max_seqlen}. A longer prompt keeps BOS and its last bytes, starting at a character
 * boundary, as the reference's generation keeps the end of a prompt it must truncate.
 */
public final class PromptContext {
    private PromptContext() {}

    /** A prompt as ids (BOS first) and how many of its bytes were dropped from the front. */
    public record Prompt(int[] ids, long droppedBytes) {
        public boolean truncated() {
            return droppedBytes > 0;
        }
    }

    /** The context in ids, BOS included; Integer.MAX_VALUE when the config sets no length. */
    public static int of(BltArgs args) {
        Integer n = args.maxEncoderSeqLength() != null ? args.maxEncoderSeqLength() : args.maxSeqlen();
        return n == null || n < 2 ? Integer.MAX_VALUE : n;
    }

    /** Bytes worth reading from the end of a long prompt: the context plus room to find a character boundary. */
    public static int tailBytes(int context) {
        return context == Integer.MAX_VALUE ? Integer.MAX_VALUE - 8 : context - 1 + 3;
    }

    /**
     * BOS + the last bytes of {@code tail} that fit {@code context} ids, without a leading UTF-8 continuation byte
     * (up to 3 are dropped, so that the kept text starts with a whole character); {@code before} counts the prompt's
     * bytes that precede tail and were never read.
     */
    public static Prompt cut(byte[] tail, long before, int context) {
        int keep = (int) Math.min(tail.length, context - 1L);
        int from = tail.length - keep;
        if (from > 0 || before > 0)
            for (int k = 0; k < 3 && from < tail.length && (tail[from] & 0xC0) == 0x80; k++) from++;
        int[] ids = new int[1 + tail.length - from];
        ids[0] = ByteTokenizer.BOS_ID;
        for (int i = from; i < tail.length; i++) ids[1 + i - from] = ByteTokenizer.idOf(tail[i]);
        return new Prompt(ids, before + from);
    }
}
