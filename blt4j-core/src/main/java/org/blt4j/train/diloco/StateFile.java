package org.blt4j.train.diloco;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import org.blt4j.Blt4jException;

/**
 * The small binary files of a DiLoCo run (a worker's inner state, the driver's outer state), little-endian:
 * <pre>
 * magic [8 ASCII bytes]  version int32 = 1
 * H int32, header [H] int64
 * A int32, then A times: n int32, values [n] fp32
 * crc32 int32 of every byte before it
 * </pre>
 */
final class StateFile {
    static final int VERSION = 1;

    /** What a file holds: its header words and float arrays. */
    record Content(long[] header, float[][] arrays) {}

    private StateFile() {}

    static byte[] encode(String magic, long[] header, float[]... arrays) {
        byte[] m = magic.getBytes(StandardCharsets.US_ASCII);
        if (m.length != 8) throw new IllegalArgumentException("magic must be 8 ASCII bytes: " + magic);
        long size = 8 + 4 + 4 + 8L * header.length + 4 + 4;
        for (float[] a : arrays) size += 4 + 4L * a.length;
        if (size > Integer.MAX_VALUE - 16) throw new Blt4jException("state too large for one file: " + size + " bytes");
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.put(m).putInt(VERSION).putInt(header.length);
        for (long h : header) b.putLong(h);
        b.putInt(arrays.length);
        for (float[] a : arrays) {
            b.putInt(a.length);
            b.asFloatBuffer().put(a);
            b.position(b.position() + 4 * a.length);
        }
        CRC32 crc = new CRC32();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        return b.array();
    }

    /** Decodes a file written by {@link #encode}; {@code where} names it in the one-line errors. */
    static Content decode(byte[] data, String magic, String where) {
        if (data.length < 24) throw corrupt(where, "too short (" + data.length + " bytes)");
        CRC32 crc = new CRC32();
        crc.update(data, 0, data.length - 4);
        ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if ((int) crc.getValue() != b.getInt(data.length - 4)) throw corrupt(where, "checksum mismatch");
        byte[] m = new byte[8];
        b.get(m);
        if (!new String(m, StandardCharsets.US_ASCII).equals(magic))
            throw corrupt(where, "not a " + magic + " file");
        int version = b.getInt();
        if (version != VERSION) throw corrupt(where, "version " + version + " (this build reads " + VERSION + ")");
        try {
            long[] header = new long[count(b.getInt(), where)];
            for (int i = 0; i < header.length; i++) header[i] = b.getLong();
            float[][] arrays = new float[count(b.getInt(), where)][];
            for (int k = 0; k < arrays.length; k++) {
                arrays[k] = new float[count(b.getInt(), where)];
                b.asFloatBuffer().get(arrays[k]);
                b.position(b.position() + 4 * arrays[k].length);
            }
            if (b.remaining() != 4) throw corrupt(where, (b.remaining() - 4) + " bytes left over");
            return new Content(header, arrays);
        } catch (BufferUnderflowException | IllegalArgumentException | IndexOutOfBoundsException e) {
            throw corrupt(where, "truncated");
        }
    }

    private static int count(int n, String where) {
        if (n < 0) throw corrupt(where, "negative length " + n);
        return n;
    }

    private static Blt4jException corrupt(String where, String why) {
        return new Blt4jException("DiLoCo state " + where + " is corrupt: " + why + "; delete the run's state or restart the run");
    }
}
