package org.blt4j.text;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Incremental UTF-8 decoding for streamed bytes: each push returns the text of the complete sequences received so far
 * and holds back a trailing, still incomplete but valid, sequence (at most 3 bytes) until its remaining bytes arrive.
 * Malformed bytes become U+FFFD, exactly as decoding all the bytes at once would give them: the concatenation of every
 * push plus {@link #flush()} equals {@code new String(allBytes, UTF_8)}.
 */
public final class Utf8StreamDecoder {
    private byte[] pending = new byte[0];

    /** Adds one byte; returns the newly completed text (possibly empty). */
    public String push(byte b) {
        return push(new byte[] {b});
    }

    /** Adds bytes; returns the newly completed text (possibly empty). */
    public String push(byte[] bytes) {
        byte[] buf = Arrays.copyOf(pending, pending.length + bytes.length);
        System.arraycopy(bytes, 0, buf, pending.length, bytes.length);
        int cut = completeLength(buf);
        pending = Arrays.copyOfRange(buf, cut, buf.length);
        return new String(buf, 0, cut, StandardCharsets.UTF_8);
    }

    /** Adds one BLT id: a byte id is pushed, special ids (BOS, EOS, ...) are ignored. */
    public String pushId(int id) {
        return ByteTokenizer.isByte(id) ? push((byte) (id - ByteTokenizer.OFFSET)) : "";
    }

    /** Ends the stream: returns the held-back tail (as U+FFFD, being incomplete) and clears it. */
    public String flush() {
        String s = new String(pending, StandardCharsets.UTF_8);
        pending = new byte[0];
        return s;
    }

    /** Number of bytes held back. */
    public int pendingBytes() {
        return pending.length;
    }

    /**
     * Length of the prefix of buf that can be decoded now: everything except a trailing proper prefix of a valid
     * UTF-8 sequence.
     */
    static int completeLength(byte[] buf) {
        int n = buf.length;
        for (int s = n - 1; s >= Math.max(0, n - 3); s--) {
            int b = buf[s] & 0xFF;
            if (b >= 0x80 && b <= 0xBF) continue; // continuation byte: look further back for its lead
            int need = sequenceLength(b);
            return (need > n - s && validPrefix(buf, s, n)) ? s : n;
        }
        return n;
    }

    /** Total length of the sequence a lead byte starts, or 0 when b cannot start a multi-byte sequence. */
    private static int sequenceLength(int b) {
        if (b >= 0xC2 && b <= 0xDF) return 2;
        if (b >= 0xE0 && b <= 0xEF) return 3;
        if (b >= 0xF0 && b <= 0xF4) return 4;
        return 0;
    }

    /**
     * True when buf[s..n) is not yet malformed for the JDK's UTF-8 decoder: Unicode Table 3-7's second-byte ranges,
     * except that ED A0..BF (an encoded surrogate) is held too, because the JDK replaces the whole 3-byte surrogate
     * with a single U+FFFD once its third byte arrives.
     */
    private static boolean validPrefix(byte[] buf, int s, int n) {
        int lead = buf[s] & 0xFF;
        for (int k = s + 1; k < n; k++) {
            int c = buf[k] & 0xFF;
            int lo = 0x80, hi = 0xBF;
            if (k == s + 1) {
                if (lead == 0xE0) lo = 0xA0;
                else if (lead == 0xF0) lo = 0x90;
                else if (lead == 0xF4) hi = 0x8F;
            }
            if (c < lo || c > hi) return false;
        }
        return true;
    }
}
