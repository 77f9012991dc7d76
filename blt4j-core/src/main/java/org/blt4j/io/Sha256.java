package org.blt4j.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A SHA-256 over text and little-endian numbers, fed in 64 KiB blocks; {@link #hex} gives a prefix of the digest. */
public final class Sha256 {
    private final MessageDigest sha;
    private final ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

    public Sha256() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The text as UTF-8. */
    public Sha256 text(String s) {
        sha.update(s.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public Sha256 bytes(byte[] b) {
        sha.update(b);
        return this;
    }

    /** The whole SHA-256 of a file's bytes, as hex. */
    public static String ofFile(java.nio.file.Path file) throws java.io.IOException {
        return new Sha256().bytes(java.nio.file.Files.readAllBytes(file)).hex(32);
    }

    public Sha256 longs(long... v) {
        buf.clear();
        for (long x : v) buf.putLong(x);
        sha.update(buf.flip());
        return this;
    }

    public Sha256 ints(int[] a) {
        for (int i = 0; i < a.length; ) {
            buf.clear();
            for (; i < a.length && buf.remaining() >= 4; i++) buf.putInt(a[i]);
            sha.update(buf.flip());
        }
        return this;
    }

    public Sha256 floats(float[] a) {
        for (int i = 0; i < a.length; ) {
            buf.clear();
            for (; i < a.length && buf.remaining() >= 4; i++) buf.putFloat(a[i]);
            sha.update(buf.flip());
        }
        return this;
    }

    /** The first {@code bytes} bytes of the digest as hex (ends the hash). */
    public String hex(int bytes) {
        return HexFormat.of().formatHex(sha.digest(), 0, bytes);
    }
}
