package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    @Test
    void roundTripErrorIsAtMostHalfAScale() {
        for (int[] s : new int[][] {{3, 64, 32}, {5, 70, 32}, {2, 7, 32}, {4, 33, 8}, {1, 100, 1}}) {
            int n = s[0], k = s[1], b = s[2];
            float[] w = gaussian(n * k, n * 31L + k);
            Int8Matrix m = Int8Matrix.quantize(w, n, k, b);
            int bpr = (k + b - 1) / b;
            assertEquals(bpr, m.blocksPerRow());
            assertEquals(n * bpr, m.scales().length);
            assertEquals(n * k, m.q().length);
            float[] d = m.dequantize();
            for (int r = 0; r < n; r++)
                for (int c = 0; c < k; c++) {
                    float scale = m.scales()[r * bpr + c / b];
                    // the block's scale is its max|w| / 127
                    float max = 0f;
                    for (int j = c / b * b; j < Math.min(k, c / b * b + b); j++) max = Math.max(max, Math.abs(w[r * k + j]));
                    assertEquals(max / 127f, scale, "scale of row " + r + " block " + c / b);
                    float err = Math.abs(w[r * k + c] - d[r * k + c]);
                    assertTrue(err <= scale / 2 * (1 + 1e-5f), "[" + r + ", " + c + "] error " + err + " > scale/2 " + scale / 2);
                    assertTrue(Math.abs(m.q()[r * k + c]) <= 127);
                }
        }
    }

    @Test
    void zeroBlocksHaveScaleZeroAndZeroCodes() {
        float[] w = new float[2 * 40];
        w[35] = 0.5f; // row 0, block 1 (short: columns 32..39) is non-zero; everything else 0
        Int8Matrix m = Int8Matrix.quantize(w, 2, 40, 32);
        assertArrayEquals(new float[] {0f, 0.5f / 127f, 0f, 0f}, m.scales());
        assertEquals(127, m.q()[35]);
        for (int i = 0; i < w.length; i++) if (i != 35) assertEquals(0, m.q()[i], "q " + i);
        assertArrayEquals(w, m.dequantize());
        // a block so small its scale underflows is flushed to 0, not divided by 0
        float[] tiny = {Float.MIN_VALUE, -Float.MIN_VALUE};
        Int8Matrix t = Int8Matrix.quantize(tiny, 1, 2, 32);
        assertArrayEquals(new float[] {0f}, t.scales());
        assertArrayEquals(new byte[] {0, 0}, t.q());
    }

    @Test
    void extremeValuesMapToPlusMinus127() {
        float[] w = {Float.MAX_VALUE, -Float.MAX_VALUE, 0f, Float.MAX_VALUE / 4};
        Int8Matrix m = Int8Matrix.quantize(w, 1, 4, 4);
        assertArrayEquals(new byte[] {127, -127, 0, 32}, m.q());
        float[] d = m.dequantize();
        assertEquals(Float.MAX_VALUE, d[0], Float.MAX_VALUE * 1e-6f);
        assertEquals(-Float.MAX_VALUE, d[1], Float.MAX_VALUE * 1e-6f);

        // one outlier takes the block's whole range: the small values round to 0 or ±1, within scale/2
        float[] o = new float[32];
        for (int i = 0; i < 32; i++) o[i] = 0.01f * (i - 16);
        o[7] = -100f;
        Int8Matrix mo = Int8Matrix.quantize(o, 1, 32, 32);
        assertEquals(100f / 127f, mo.scales()[0]);
        assertEquals(-127, mo.q()[7]);
        float[] dd = mo.dequantize();
        for (int i = 0; i < 32; i++) {
            assertTrue(Math.abs(mo.q()[i]) <= 127);
            assertTrue(Math.abs(dd[i] - o[i]) <= mo.scales()[0] / 2 * (1 + 1e-5f), "outlier block at " + i);
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
        Int8Matrix ok = new Int8Matrix(new byte[12], new float[6], 3, 4, 2);
        assertEquals(12 + 24, ok.bytes());
    }
}
