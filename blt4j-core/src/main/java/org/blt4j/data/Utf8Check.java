package org.blt4j.data;

/** Counts bytes that are not part of a well-formed UTF-8 sequence (RFC 3629: no overlongs, no surrogates). */
final class Utf8Check {
    private Utf8Check() {}

    /**
     * Invalid bytes among b[0..n): each byte that cannot start a sequence, or starts a broken one, counts once. A
     * sequence cut off by the end of the sample is not counted (the sample may end mid-character).
     */
    static int invalidBytes(byte[] b, int n) {
        int invalid = 0;
        int i = 0;
        while (i < n) {
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                i++;
                continue;
            }
            int len = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
            if (len == 0) {
                invalid++;
                i++;
                continue;
            }
            if (i + len > n && continuationsOk(b, i, n - i, c)) break;
            if (i + len <= n && continuationsOk(b, i, len, c)) i += len;
            else {
                invalid++;
                i++;
            }
        }
        return invalid;
    }

    /** Whether bytes b[i+1 .. i+len) are valid continuations of lead byte c (with its narrower second-byte ranges). */
    private static boolean continuationsOk(byte[] b, int i, int len, int c) {
        for (int k = 1; k < len; k++) {
            int x = b[i + k] & 0xFF;
            int lo = 0x80, hi = 0xBF;
            if (k == 1) {
                if (c == 0xE0) lo = 0xA0;
                else if (c == 0xED) hi = 0x9F;
                else if (c == 0xF0) lo = 0x90;
                else if (c == 0xF4) hi = 0x8F;
            }
            if (x < lo || x > hi) return false;
        }
        return true;
    }
}
