package org.blt4j.text;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * BLT byte ids (docs/computation.md §1): byte b is id b + 4; BOE 0, BOS 1, EOS 2, BPE delimiter 3; PAD -1; vocabulary 260.
 */
public final class ByteTokenizer {
    public static final int BOE_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int BPE_ID = 3;
    public static final int PAD_ID = -1;
    /** Id of byte 0; ids below it are special. */
    public static final int OFFSET = 4;
    public static final int VOCAB_SIZE = 256 + OFFSET;

    private ByteTokenizer() {}

    /**
     * UTF-8 bytes of the text as ids, with BOS first and EOS last when asked. Unpaired surrogates, which UTF-8 cannot
     * encode, are dropped (the reference encodes with errors="ignore").
     */
    public static int[] encode(String text, boolean bos, boolean eos) {
        return encode(utf8(text), bos, eos);
    }

    /** Raw bytes as ids, with BOS first and EOS last when asked. */
    public static int[] encode(byte[] bytes, boolean bos, boolean eos) {
        int n = bytes.length + (bos ? 1 : 0) + (eos ? 1 : 0);
        int[] ids = new int[n];
        int k = 0;
        if (bos) ids[k++] = BOS_ID;
        for (byte b : bytes) ids[k++] = idOf(b);
        if (eos) ids[k] = EOS_ID;
        return ids;
    }

    /** Id of one byte. */
    public static int idOf(byte b) {
        return (b & 0xFF) + OFFSET;
    }

    /** True for ids that stand for a byte (4..259). */
    public static boolean isByte(int id) {
        return id >= OFFSET && id < VOCAB_SIZE;
    }

    /** The bytes of the byte ids, in order; special ids (&lt; 4) and ids outside the vocabulary are dropped. */
    public static byte[] decodeBytes(int[] ids) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(ids.length);
        for (int id : ids) if (isByte(id)) out.write(id - OFFSET);
        return out.toByteArray();
    }

    /** Text of the byte ids; malformed UTF-8 becomes U+FFFD. Never fails. */
    public static String decode(int[] ids) {
        return new String(decodeBytes(ids), StandardCharsets.UTF_8);
    }

    /**
     * Text of the byte ids; with {@code dropMalformed} malformed UTF-8 is left out, like the reference's
     * {@code decode("utf-8", errors="ignore")}, otherwise it becomes U+FFFD. Never fails.
     */
    public static String decode(int[] ids, boolean dropMalformed) {
        if (!dropMalformed) return decode(ids);
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.IGNORE)
                .onUnmappableCharacter(CodingErrorAction.IGNORE);
        try {
            return dec.decode(ByteBuffer.wrap(decodeBytes(ids))).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 decoder set to ignore errors reported one", e);
        }
    }

    private static byte[] utf8(String text) {
        CharsetEncoder enc = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.IGNORE)
                .onUnmappableCharacter(CodingErrorAction.IGNORE);
        try {
            ByteBuffer bb = enc.encode(CharBuffer.wrap(text));
            byte[] out = new byte[bb.remaining()];
            bb.get(out);
            return out;
        } catch (CharacterCodingException e) {
            throw new IllegalStateException("UTF-8 encoder set to ignore errors reported one", e);
        }
    }
}
