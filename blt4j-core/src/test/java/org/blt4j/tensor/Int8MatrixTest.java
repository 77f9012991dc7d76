package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

/** Quantizing W [N, K] to int8 per block of B columns: layout, error bound, edge values and refused input. */
class Int8MatrixTest {
    private static float[] gaussian(int n, long seed) {
        Random rnd = new Random(seed);
        float[] w = new float[n];
        for (int i = 0; i < n; i++) w[i] = (float) rnd.nextGaussian();
        return w;
    }

    /** the codes as an array */
    static byte[] q(Int8Matrix m) {
        return m.q().toArray(ValueLayout.JAVA_BYTE);
    }

    /** the scales as an array, read as the documented layout: f32 little-endian */
    static float[] scales(Int8Matrix m) {
        float[] s = new float[(int) (m.scales().byteSize() / 4)];
        for (int i = 0; i < s.length; i++) s[i] = m.scales().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
        return s;
    }

    @Test
    void roundTripErrorIsAtMostHalfAScale() {
        for (int[] s : new int[][] {{3, 64, 32}, {5, 70, 32}, {2, 7, 32}, {4, 33, 8}, {1, 100, 1}}) {
            int n = s[0], k = s[1], b = s[2];
            float[] w = gaussian(n * k, n * 31L + k);
            Int8Matrix m = Int8Matrix.quantize(w, n, k, b);
            int bpr = (k + b - 1) / b;
            assertEquals(bpr, m.blocksPerRow());
            assertEquals(n * bpr, scales(m).length);
            assertEquals(n * k, q(m).length);
            float[] d = m.dequantize();
            for (int r = 0; r < n; r++)
                for (int c = 0; c < k; c++) {
                    float scale = scales(m)[r * bpr + c / b];
                    // the block's scale is its max|w| / 127
                    float max = 0f;
                    for (int j = c / b * b; j < Math.min(k, c / b * b + b); j++) max = Math.max(max, Math.abs(w[r * k + j]));
                    assertEquals(max / 127f, scale, "scale of row " + r + " block " + c / b);
                    float err = Math.abs(w[r * k + c] - d[r * k + c]);
                    assertTrue(err <= scale / 2 * (1 + 1e-5f), "[" + r + ", " + c + "] error " + err + " > scale/2 " + scale / 2);
                    assertTrue(Math.abs(q(m)[r * k + c]) <= 127);
                }
        }
    }

    /** A block wider than the row (up to 2^31 - 1: ceil(k / B) must not overflow) is one block per row. */
    @Test
    void aBlockWiderThanTheRowIsOneBlock() {
        float[] w = gaussian(3 * 10, 7);
        for (int b : new int[] {10, 11, 1 << 20, Integer.MAX_VALUE - 47, Integer.MAX_VALUE}) {
            Int8Matrix m = Int8Matrix.quantize(w, 3, 10, b);
            assertEquals(1, m.blocksPerRow(), "block " + b);
            assertEquals(1, new org.blt4j.model.Quantization(b).blocks(10), "block " + b);
            float[] d = m.dequantize();
            for (int i = 0; i < w.length; i++) assertEquals(w[i], d[i], m.scale(i / 10, 0) / 2 + 1e-7f, "block " + b + " at " + i);
            assertTrue(m.scale(0, 0) > 0, "block " + b + ": all-zero codes");
        }
    }

    @Test
    void zeroBlocksHaveScaleZeroAndZeroCodes() {
        float[] w = new float[2 * 40];
        w[35] = 0.5f; // row 0, block 1 (short: columns 32..39) is non-zero; everything else 0
        Int8Matrix m = Int8Matrix.quantize(w, 2, 40, 32);
        assertArrayEquals(new float[] {0f, 0.5f / 127f, 0f, 0f}, scales(m));
        assertEquals(127, q(m)[35]);
        for (int i = 0; i < w.length; i++) if (i != 35) assertEquals(0, q(m)[i], "q " + i);
        assertArrayEquals(w, m.dequantize());
        // a block so small its scale underflows is flushed to 0, not divided by 0
        float[] tiny = {Float.MIN_VALUE, -Float.MIN_VALUE};
        Int8Matrix t = Int8Matrix.quantize(tiny, 1, 2, 32);
        assertArrayEquals(new float[] {0f}, scales(t));
        assertArrayEquals(new byte[] {0, 0}, q(t));
    }

    @Test
    void extremeValuesMapToPlusMinus127() {
        float[] w = {Float.MAX_VALUE, -Float.MAX_VALUE, 0f, Float.MAX_VALUE / 4};
        Int8Matrix m = Int8Matrix.quantize(w, 1, 4, 4);
        assertArrayEquals(new byte[] {127, -127, 0, 32}, q(m));
        float[] d = m.dequantize();
        assertEquals(Float.MAX_VALUE, d[0], Float.MAX_VALUE * 1e-6f);
        assertEquals(-Float.MAX_VALUE, d[1], Float.MAX_VALUE * 1e-6f);

        // one outlier takes the block's whole range: the small values round to 0 or ±1, within scale/2
        float[] o = new float[32];
        for (int i = 0; i < 32; i++) o[i] = 0.01f * (i - 16);
        o[7] = -100f;
        Int8Matrix mo = Int8Matrix.quantize(o, 1, 32, 32);
        assertEquals(100f / 127f, scales(mo)[0]);
        assertEquals(-127, q(mo)[7]);
        float[] dd = mo.dequantize();
        for (int i = 0; i < 32; i++) {
            assertTrue(Math.abs(q(mo)[i]) <= 127);
            assertTrue(Math.abs(dd[i] - o[i]) <= scales(mo)[0] / 2 * (1 + 1e-5f), "outlier block at " + i);
        }
    }

    @Test
    void nonFiniteWeightsAreRefused() {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            float[] w = gaussian(2 * 10, 1);
            w[13] = bad;
            Blt4jException e = assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 2, 10, 4));
            assertTrue(e.getMessage().contains("[1, 3]") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
    }

    @Test
    void badShapesAreRefused() {
        float[] w = new float[12];
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 3, 5, 32));
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 0, 12, 32));
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 3, -4, 32));
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 3, 4, 0));
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(null, 3, 4, 32));
        assertThrows(Blt4jException.class, () -> Int8Matrix.quantize(w, 1 << 16, 1 << 16, 32));
        // wrapping checkpoint data: q and scales must fit the shape, scales must be finite and >= 0
        assertThrows(Blt4jException.class, () -> new Int8Matrix(new byte[12], new float[3], 3, 4, 2));
        assertThrows(Blt4jException.class, () -> new Int8Matrix(new byte[11], new float[6], 3, 4, 2));
        assertThrows(Blt4jException.class, () -> new Int8Matrix(new byte[12], new float[] {1, 1, -1, 1, 1, 1}, 3, 4, 2));
        assertThrows(Blt4jException.class, () -> new Int8Matrix(new byte[12], new float[] {1, 1, Float.NaN, 1, 1, 1}, 3, 4, 2));
        // a finite scale so large that 127 · scale is infinite (a corrupt file; quantize never writes one)
        Blt4jException huge = assertThrows(Blt4jException.class, () -> new Int8Matrix(new byte[12], new float[] {1, 1, 3e38f, 1, 1, 1}, 3, 4, 2));
        assertTrue(huge.getMessage().contains("scale 2 (row 1, block 0) is 3.0E38"), huge.getMessage());
        assertTrue(Float.isFinite(127f * Int8Matrix.MAX_SCALE));
        new Int8Matrix(new byte[12], new float[] {1, 1, Int8Matrix.MAX_SCALE, 1, 1, 1}, 3, 4, 2);
        float[] big = new float[4];
        big[1] = -Float.MAX_VALUE;
        assertTrue(scales(Int8Matrix.quantize(big, 1, 4, 4))[0] <= Int8Matrix.MAX_SCALE, "quantize stays within the bound");
        Int8Matrix ok = new Int8Matrix(new byte[12], new float[6], 3, 4, 2);
        assertEquals(12 + 24, ok.bytes());
    }

    @Test
    void mappedSegmentsAreCheckedForSizeAndReadAsTheLayout() {
        float[] w = gaussian(3 * 40, 5);
        Int8Matrix heap = Int8Matrix.quantize(w, 3, 40, 16);
        try (Arena arena = Arena.ofConfined()) {
            // off-heap copies in the safetensors layout: int8 [3, 40], f32 little-endian [3, 3]
            MemorySegment q = arena.allocate(120), s = arena.allocate(36);
            q.copyFrom(heap.q());
            float[] sc = scales(heap);
            for (int i = 0; i < sc.length; i++) s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i, sc[i]);
            Int8Matrix m = Int8Matrix.mapped(q, s, 3, 40, 16).checkScales();
            assertArrayEquals(heap.dequantize(), m.dequantize());
            assertEquals(120 + 36, m.bytes());
            assertEquals(sc[4], m.scale(1, 1));
            assertEquals(q(heap)[45], m.code(1, 5));
            assertThrows(Blt4jException.class, () -> Int8Matrix.mapped(q.asSlice(1), s, 3, 40, 16));
            assertThrows(Blt4jException.class, () -> Int8Matrix.mapped(q, s.asSlice(4), 3, 40, 16));
            assertThrows(Blt4jException.class, () -> Int8Matrix.mapped(q, s, 3, 40, 32)); // 2 blocks per row, not 3
            // a bad scale passes mapped (sizes only) and is caught by checkScales, naming row and block
            s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * 5, Float.NaN);
            Int8Matrix bad = Int8Matrix.mapped(q, s, 3, 40, 16);
            Blt4jException e = assertThrows(Blt4jException.class, bad::checkScales);
            assertTrue(e.getMessage().contains("row 1, block 2"), e.getMessage());
        }
    }
}
