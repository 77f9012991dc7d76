package org.blt4j.data;

import java.util.Objects;
import java.util.zip.Deflater;
import org.blt4j.Blt4jException;

/**
 * The gzip -9 baseline: what a general-purpose compressor needs per byte, for comparison with a model's bits per
 * byte. The data is compressed as raw deflate by java.util.zip.Deflater (zlib) at BEST_COMPRESSION, and the size
 * counted is that of a gzip file: the deflate stream plus gzip's 10-byte header and 8-byte trailer (no file name
 * stored, as {@code gzip -9 < in > out} writes). GNU gzip has its own deflate implementation and comes out a little
 * smaller: on the corpora's sotu.txt (10,761,624 bytes) zlib gives 3,568,848 bytes = 2.6530 bpb (the size of
 * sotu.txt.gz itself) and GNU gzip -9 3,566,226 bytes = 2.6511 bpb.
 */
public final class Gzip {
    /** gzip's header (magic, method, flags, mtime, xfl, os) and trailer (CRC-32, size). */
    public static final int FRAMING_BYTES = 10 + 8;

    private Gzip() {}

    /** Bits per byte of gzip -9 on {@code data}: 8 * compressed size / data.length. */
    public static double bitsPerByte(byte[] data) {
        return bitsPerByte(data, 0, data.length);
    }

    /** Bits per byte of gzip -9 on data[off .. off+len). */
    public static double bitsPerByte(byte[] data, int off, int len) {
        if (len == 0) throw new Blt4jException("bits per byte of an empty text is undefined");
        return 8.0 * compressedSize(data, off, len) / len;
    }

    /** Size in bytes of the gzip -9 file of data[off .. off+len). */
    public static long compressedSize(byte[] data, int off, int len) {
        Objects.checkFromIndexSize(off, len, data.length);
        Deflater d = new Deflater(Deflater.BEST_COMPRESSION, true); // raw deflate: gzip frames it itself
        try {
            d.setInput(data, off, len);
            d.finish();
            byte[] buf = new byte[1 << 16];
            long n = 0;
            while (!d.finished()) n += d.deflate(buf);
            return n + FRAMING_BYTES;
        } finally {
            d.end();
        }
    }
}
