package org.blt4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Finds the first NaN or infinity in a tensor's raw little-endian bytes, read in place (a mapped multi-GB file is
 * streamed, never copied to the heap). An element is not finite when its exponent bits are all ones; eight bytes are
 * tested at a time: x & E, xor E, is zero in some lane exactly when that lane's exponent is all ones.
 */
final class FiniteScan {
    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private FiniteScan() {}

    /** The index of the first non-finite element of {@code count} elements of type {@code t} at {@code seg}, or -1. */
    static long firstNonFinite(MemorySegment seg, DType t, long count) {
        if (t.alwaysFinite()) return -1;
        long exp, ones, high;  // per lane: the exponent mask, 1 and the top bit
        switch (t) {
            case F32 -> { exp = 0x7f800000_7f800000L; ones = 0x00000001_00000001L; high = 0x80000000_80000000L; }
            case BF16 -> { exp = 0x7f807f80_7f807f80L; ones = 0x00010001_00010001L; high = 0x80008000_80008000L; }
            case F16 -> { exp = 0x7c007c00_7c007c00L; ones = 0x00010001_00010001L; high = 0x80008000_80008000L; }
            default -> throw new IllegalArgumentException(t.toString());
        }
        long bytes = count * t.byteSize(), words = bytes / 8;
        for (long w = 0; w < words; w++) {
            long y = (seg.get(U64_LE, w * 8) & exp) ^ exp;   // a lane is 0 where the exponent is all ones
            if (((y - ones) & ~y & high) != 0) return firstIn(seg, t, w * 8 / t.byteSize(), count);
        }
        return firstIn(seg, t, words * 8 / t.byteSize(), count);
    }

    /** Element by element from {@code from}. */
    private static long firstIn(MemorySegment seg, DType t, long from, long count) {
        for (long i = from; i < count; i++) if (!Float.isFinite(t.get(seg, i * t.byteSize()))) return i;
        return -1;
    }
}
