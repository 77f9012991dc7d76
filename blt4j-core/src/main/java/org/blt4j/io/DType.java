package org.blt4j.io;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The element types blt4j reads and writes in safetensors files, with exact conversions to and from fp32: three
 * floating-point types and I8, the signed bytes of int8-quantized weights (docs/int8.md; written from fp32 values by
 * rounding and clamping to [-128, 127]). Safetensors data is little-endian and need not be aligned, so all accesses
 * use unaligned little-endian layouts.
 */
public enum DType {
    F32(4),
    BF16(2),
    F16(2),
    I8(1);

    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Elements converted per step by the bulk 16-bit paths. */
    private static final int CHUNK = 4096;

    private final int byteSize;

    DType(int byteSize) {
        this.byteSize = byteSize;
    }

    /** Bytes per element. */
    public int byteSize() {
        return byteSize;
    }

    /** The name used in safetensors headers ("F32", "BF16", "F16", "I8"). */
    public String safetensorsName() {
        return name();
    }

    /** The type with this safetensors name, if blt4j supports it. */
    public static Optional<DType> forName(String safetensorsName) {
        for (DType t : values()) if (t.safetensorsName().equals(safetensorsName)) return Optional.of(t);
        return Optional.empty();
    }

    /** "F32, BF16, F16, I8", for error messages. */
    public static String supportedNames() {
        return Arrays.stream(values()).map(DType::safetensorsName).collect(Collectors.joining(", "));
    }

    // ---- scalar conversions ----

    /** Exact: a bf16 is the upper half of an fp32. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest, ties to even; overflow gives infinity; NaN stays NaN (quiet, sign kept). */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) return (short) ((bits >>> 16) | 0x0040);
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7FFF + lsb) >>> 16);
    }

    /** Exact (every f16 is an fp32). */
    public static float f16ToFloat(short bits) {
        return Float.float16ToFloat(bits);
    }

    /** Round to nearest, ties to even (IEEE 754 binary16). */
    public static short floatToF16(float f) {
        return Float.floatToFloat16(f);
    }

    /** Rounded to nearest and clamped to [-128, 127] (NaN gives 0). */
    public static byte floatToI8(float f) {
        return (byte) Math.max(-128, Math.min(127, Math.round(f)));
    }

    /** Whether every value of this type is finite (the integer types). */
    public boolean alwaysFinite() {
        return this == I8;
    }

    // ---- element access in a segment ----

    /** The element at byte offset {@code byteOffset} of {@code seg}, as fp32. */
    public float get(MemorySegment seg, long byteOffset) {
        return switch (this) {
            case F32 -> seg.get(F32_LE, byteOffset);
            case BF16 -> bf16ToFloat(seg.get(I16_LE, byteOffset));
            case F16 -> f16ToFloat(seg.get(I16_LE, byteOffset));
            case I8 -> seg.get(ValueLayout.JAVA_BYTE, byteOffset);
        };
    }

    /** Stores {@code v}, rounded to this type, at byte offset {@code byteOffset} of {@code seg}. */
    public void put(MemorySegment seg, long byteOffset, float v) {
        switch (this) {
            case F32 -> seg.set(F32_LE, byteOffset, v);
            case BF16 -> seg.set(I16_LE, byteOffset, floatToBf16(v));
            case F16 -> seg.set(I16_LE, byteOffset, floatToF16(v));
            case I8 -> seg.set(ValueLayout.JAVA_BYTE, byteOffset, floatToI8(v));
        }
    }

    /** dst[dstOff .. dstOff+count) = the {@code count} elements starting at byte {@code srcOffset}, as fp32. */
    public void decode(MemorySegment src, long srcOffset, float[] dst, int dstOff, int count) {
        if (this == F32) {
            MemorySegment.copy(src, F32_LE, srcOffset, dst, dstOff, count);
            return;
        }
        if (this == I8) {
            for (int i = 0; i < count; i++) dst[dstOff + i] = src.get(ValueLayout.JAVA_BYTE, srcOffset + i);
            return;
        }
        short[] buf = new short[Math.min(count, CHUNK)];
        for (int done = 0; done < count; ) {
            int n = Math.min(buf.length, count - done);
            MemorySegment.copy(src, I16_LE, srcOffset + (long) done * 2, buf, 0, n);
            if (this == BF16) for (int i = 0; i < n; i++) dst[dstOff + done + i] = bf16ToFloat(buf[i]);
            else for (int i = 0; i < n; i++) dst[dstOff + done + i] = f16ToFloat(buf[i]);
            done += n;
        }
    }

    /** Writes src[srcOff .. srcOff+count), rounded to this type, starting at byte {@code dstOffset} of {@code dst}. */
    public void encode(float[] src, int srcOff, MemorySegment dst, long dstOffset, int count) {
        if (this == F32) {
            MemorySegment.copy(src, srcOff, dst, F32_LE, dstOffset, count);
            return;
        }
        if (this == I8) {
            for (int i = 0; i < count; i++) dst.set(ValueLayout.JAVA_BYTE, dstOffset + i, floatToI8(src[srcOff + i]));
            return;
        }
        short[] buf = new short[Math.min(count, CHUNK)];
        for (int done = 0; done < count; ) {
            int n = Math.min(buf.length, count - done);
            if (this == BF16) for (int i = 0; i < n; i++) buf[i] = floatToBf16(src[srcOff + done + i]);
            else for (int i = 0; i < n; i++) buf[i] = floatToF16(src[srcOff + done + i]);
            MemorySegment.copy(buf, 0, dst, I16_LE, dstOffset + (long) done * 2, n);
            done += n;
        }
    }
}
