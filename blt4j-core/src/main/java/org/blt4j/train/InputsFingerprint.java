package org.blt4j.train;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * What a run trains on, as 16 hex digits of a SHA-256: the training and held-out streams (and a BLT's entropies, so
 * another entropy model behind the same path shows). Saved with every checkpoint; a resume whose inputs differ is
 * refused, since it could not continue the run exactly.
 */
final class InputsFingerprint {
    private InputsFingerprint() {}

    static String of(int[][] streams, float[][] entropies) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int[] s : streams) {
            buf.clear();
            buf.putLong(s.length);
            sha.update(buf.flip());
            for (int i = 0; i < s.length; ) {
                buf.clear();
                for (; i < s.length && buf.remaining() >= 4; i++) buf.putInt(s[i]);
                sha.update(buf.flip());
            }
        }
        for (float[] h : entropies) {
            buf.clear();
            buf.putLong(h.length);
            sha.update(buf.flip());
            for (int i = 0; i < h.length; ) {
                buf.clear();
                for (; i < h.length && buf.remaining() >= 4; i++) buf.putFloat(h[i]);
                sha.update(buf.flip());
            }
        }
        return HexFormat.of().formatHex(sha.digest(), 0, 8);
    }
}
