package org.blt4j.token;

/** Strict UTF-8 validation (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF). */
final class Utf8 {
    private Utf8() {}

    /**
     * Length (1..4) of the valid UTF-8 sequence starting at {@code b[i]} (reading no further than {@code end}), or 0
     * when the byte there does not start a valid sequence.
     */
    static int validLength(byte[] b, int i, int end) {
        int c = b[i] & 0xff;
        if (c < 0x80) return 1;
        int n;
        int lo = 0x80, hi = 0xbf; // allowed range of the second byte
        if (c >= 0xc2 && c <= 0xdf) n = 2;
        else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            if (c == 0xe0) lo = 0xa0; // no overlong
            if (c == 0xed) hi = 0x9f; // no surrogates
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            if (c == 0xf0) lo = 0x90; // no overlong
            if (c == 0xf4) hi = 0x8f; // nothing above U+10FFFF
        } else return 0;
        if (i + n > end) return 0;
        int c1 = b[i + 1] & 0xff;
        if (c1 < lo || c1 > hi) return 0;
        for (int k = 2; k < n; k++) if ((b[i + k] & 0xc0) != 0x80) return 0;
        return n;
    }

    /** End (exclusive) of the maximal run of valid UTF-8 sequences that starts at {@code i}; {@code i} if none. */
    static int validRunEnd(byte[] b, int i, int end) {
        while (i < end) {
            int n = validLength(b, i, end);
            if (n == 0) break;
            i += n;
        }
        return i;
    }
}
