package org.blt4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.blt4j.Blt4jException;

/**
 * The int8 product for any block size (used by {@link Int8Gemm} when B is not a multiple of its chunk of 4 vectors'
 * columns): per W row and block, int8 lanes widened to fp32 a byte vector at a time, times x, summed in a vector
 * accumulator; the block sum scaled into a second accumulator, reduced once per row; columns past the last whole
 * vector of a block summed in scalar. Each y[m, n] is summed in the same order whatever M, the range or the threads.
 */
final class Int8GemmGeneric {
    private Int8GemmGeneric() {}

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    /** bytes loaded at a time: L of them, but at least 64 bits (the narrowest byte vector) */
    private static final VectorSpecies<Byte> BS = VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, 8 * L)));
    private static final int BL = BS.length();
    /** fp32 vectors per byte vector (1, or 2 with 128-bit floats) */
    private static final int PARTS = BL / L;

    /** y[m, n] for W rows n in [n0, n1) and every m */
    static void rows(float[] x, int xOff, int M, Int8Matrix w, int n0, int n1, float[] y, int yOff) {
        int N = w.rows(), K = w.cols(), n = n0;
        for (; n + 4 <= n1; n += 4) // four W rows at a time: four independent sums, x loaded once for them
            for (int m = 0; m < M; m++) dot4(x, xOff + m * K, w, n, y, yOff + m * N + n);
        for (; n < n1; n++)
            for (int m = 0; m < M; m++) y[yOff + m * N + n] = dot(x, xOff + m * K, w, n);
    }

    /** y[yo + r] = x[xo .. xo+K) · W row n + r for r = 0..3, each summed exactly as {@link #dot} sums it. */
    private static void dot4(float[] x, int xo, Int8Matrix w, int n, float[] y, int yo) {
        MemorySegment q = w.q();
        int K = w.cols(), B = w.blockSize(), bpr = w.blocksPerRow();
        long q0 = (long) n * K, q1 = q0 + K, q2 = q1 + K, q3 = q2 + K;
        FloatVector t0 = FloatVector.zero(S), t1 = t0, t2 = t0, t3 = t0;
        float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
        for (int b = 0; b < bpr; b++) {
            int c0 = b * B, c1 = Math.min(K, c0 + B), bound = c0 + (c1 - c0) / BL * BL, c = c0;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (; c < bound; c += BL) {
                ByteVector b0 = load(q, q0 + c), b1 = load(q, q1 + c);
                ByteVector b2 = load(q, q2 + c), b3 = load(q, q3 + c);
                for (int p = 0; p < PARTS; p++) {
                    FloatVector xv = FloatVector.fromArray(S, x, xo + c + p * L);
                    a0 = xv.fma(widen(b0, p), a0);
                    a1 = xv.fma(widen(b1, p), a1);
                    a2 = xv.fma(widen(b2, p), a2);
                    a3 = xv.fma(widen(b3, p), a3);
                }
            }
            float r0 = 0f, r1 = 0f, r2 = 0f, r3 = 0f;
            for (; c < c1; c++) {
                float xc = x[xo + c];
                r0 += xc * q.get(ValueLayout.JAVA_BYTE, (long) q0 + c);
                r1 += xc * q.get(ValueLayout.JAVA_BYTE, (long) q1 + c);
                r2 += xc * q.get(ValueLayout.JAVA_BYTE, (long) q2 + c);
                r3 += xc * q.get(ValueLayout.JAVA_BYTE, (long) q3 + c);
            }
            float e0 = w.scale(n, b), e1 = w.scale(n + 1, b), e2 = w.scale(n + 2, b), e3 = w.scale(n + 3, b);
            t0 = a0.fma(FloatVector.broadcast(S, e0), t0);
            t1 = a1.fma(FloatVector.broadcast(S, e1), t1);
            t2 = a2.fma(FloatVector.broadcast(S, e2), t2);
            t3 = a3.fma(FloatVector.broadcast(S, e3), t3);
            s0 += r0 * e0;
            s1 += r1 * e1;
            s2 += r2 * e2;
            s3 += r3 * e3;
        }
        y[yo] = VecMath.sum(t0) + s0;
        y[yo + 1] = VecMath.sum(t1) + s1;
        y[yo + 2] = VecMath.sum(t2) + s2;
        y[yo + 3] = VecMath.sum(t3) + s3;
    }

    private static ByteVector load(MemorySegment q, long at) {
        return ByteVector.fromMemorySegment(BS, q, at, ByteOrder.nativeOrder());
    }

    /** part p of int8 lanes as fp32 */
    private static FloatVector widen(ByteVector v, int p) {
        return (FloatVector) v.castShape(S, p);
    }

    /** x[xo .. xo+K) · W row n, block by block. */
    private static float dot(float[] x, int xo, Int8Matrix w, int n) {
        MemorySegment q = w.q();
        int K = w.cols(), B = w.blockSize(), bpr = w.blocksPerRow();
        long qo = (long) n * K;
        FloatVector total = FloatVector.zero(S);
        float tail = 0f;
        for (int b = 0; b < bpr; b++) {
            int c0 = b * B, c1 = Math.min(K, c0 + B), bound = c0 + (c1 - c0) / BL * BL, c = c0;
            FloatVector acc = FloatVector.zero(S);
            for (; c < bound; c += BL) {
                ByteVector bv = load(q, qo + c);
                for (int p = 0; p < PARTS; p++) {
                    acc = FloatVector.fromArray(S, x, xo + c + p * L).fma(widen(bv, p), acc);
                }
            }
            float s = 0f;
            for (; c < c1; c++) s += x[xo + c] * q.get(ValueLayout.JAVA_BYTE, (long) qo + c);
            float scale = w.scale(n, b);
            total = acc.fma(FloatVector.broadcast(S, scale), total);
            tail += s * scale;
        }
        return VecMath.sum(total) + tail;
    }
}
