package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DTypeTest {
    private static short bf16(float f) {
        return DType.floatToBf16(f);
    }

    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    @Test
    void namesAndSizes() {
        assertEquals(4, DType.F32.byteSize());
        assertEquals(2, DType.BF16.byteSize());
        assertEquals(2, DType.F16.byteSize());
        assertEquals(1, DType.I8.byteSize());
        assertEquals(Optional.of(DType.I8), DType.forName("I8"));
        assertEquals(Optional.of(DType.BF16), DType.forName("BF16"));
        assertEquals(Optional.empty(), DType.forName("bf16"));
        assertEquals(Optional.empty(), DType.forName("I64"));
        assertEquals("F32, BF16, F16, I8", DType.supportedNames());
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, bf16(1.0f));
        assertEquals((short) 0x3F80, bf16(f(0x3F807FFF)));  // below half: down
        assertEquals((short) 0x3F81, bf16(f(0x3F808001)));  // above half: up
        assertEquals((short) 0x3F80, bf16(f(0x3F808000)));  // tie, even stays
        assertEquals((short) 0x3F82, bf16(f(0x3F818000)));  // tie, odd rounds up to even
        assertEquals((short) 0xBF82, bf16(f(0xBF818000)));  // sign is symmetric
        assertEquals((short) 0x8000, bf16(-0.0f));
        assertEquals((short) 0x7F80, bf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, bf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7F80, bf16(Float.MAX_VALUE));  // beyond the largest bf16 + half an ulp: overflows
        assertEquals((short) 0x0001, bf16(f(0x00010000)));  // subnormals round like normals
    }

    @Test
    void bf16NaNStaysNaN() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF, 0x7F80FFFF}) {
            float back = DType.bf16ToFloat(bf16(f(bits)));
            assertTrue(Float.isNaN(back), Integer.toHexString(bits));
            assertEquals(bits < 0, (Float.floatToRawIntBits(back) & 0x80000000) != 0, "sign of " + Integer.toHexString(bits));
        }
    }

    @Test
    void bf16IsExactOnItsValuesAndWithinHalfUlp() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 100_000; i++) {
            short h = (short) r.nextInt(1 << 16);
            float v = DType.bf16ToFloat(h);
            if (!Float.isNaN(v)) assertEquals(h, bf16(v));
            float x = (float) r.nextGaussian() * 100;
            float y = DType.bf16ToFloat(bf16(x));
            assertTrue(Math.abs(y - x) <= Math.ulp(y) * 65536 / 2, x + " -> " + y); // half a bf16 ulp
            assertTrue(Math.abs(y - x) <= Math.abs(x) * 0x1p-8f, x + " -> " + y);
        }
    }

    @Test
    void f16MatchesTheJdk() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < 10_000; i++) {
            float x = (float) r.nextGaussian() * 1000;
            assertEquals(Float.floatToFloat16(x), DType.floatToF16(x));
            assertEquals(Float.float16ToFloat(Float.floatToFloat16(x)), DType.f16ToFloat(DType.floatToF16(x)));
        }
        assertEquals(1.0f, DType.f16ToFloat((short) 0x3C00));
        assertEquals(Float.POSITIVE_INFINITY, DType.f16ToFloat(DType.floatToF16(70000f)));
    }

    @Test
    void bulkCodecsAgreeWithScalarOnes() {
        SplittableRandom r = new SplittableRandom(11);
        float[] src = new float[10_001]; // more than one internal chunk
        for (int i = 0; i < src.length; i++) src[i] = (float) (r.nextGaussian() * (i % 2 == 0 ? 1 : 100));
        for (DType t : DType.values()) {
            MemorySegment seg = MemorySegment.ofArray(new byte[3 + src.length * t.byteSize()]);
            t.encode(src, 0, seg, 3, src.length); // odd offset: unaligned access must work
            float[] back = new float[src.length + 2];
            t.decode(seg, 3, back, 1, src.length);
            for (int i = 0; i < src.length; i++) {
                float expect = switch (t) {
                    case F32 -> src[i];
                    case BF16 -> DType.bf16ToFloat(DType.floatToBf16(src[i]));
                    case F16 -> DType.f16ToFloat(DType.floatToF16(src[i]));
                    case I8 -> (float) Math.max(-128, Math.min(127, Math.round(src[i])));
                };
                assertEquals(expect, back[i + 1], t + " element " + i);
                assertEquals(expect, t.get(seg, 3 + (long) i * t.byteSize()));
            }
        }
    }
}
