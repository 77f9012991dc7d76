package org.blt4j.tensor;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * y = x Wᵀ with the weight W [N, K] as little-endian bf16 in a (memory-mapped) segment, for decoding with a
 * checkpoint that stays on disk / in the page cache: W is streamed once per call and widened to fp32 on the fly.
 *
 * <p>The widening costs no shuffles: W is loaded as 32-bit lanes, each holding two neighbouring bf16 values w[2j]
 * (low half) and w[2j+1] (high half); {@code lane << 16} is w[2j] as fp32 and {@code lane & 0xFFFF0000} is w[2j+1].
 * x is split once per call into its even and odd elements, so the two halves multiply x[2j] and x[2j+1] lane by lane.
 * The N rows are split over {@link Parallel}'s threads (decode is memory-bound: all cores stream W).
 */
public final class Bf16Gemm {
    private Bf16Gemm() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();
    private static final ThreadLocal<float[]> SPLIT = ThreadLocal.withInitial(() -> new float[0]);

    static {
        if (I.length() != L) throw new IllegalStateException("int and float vectors differ in length");
    }

    /** y[M, N] = x[M, K] · W[N, K]ᵀ (K even), W bf16 at byte 0 of w. */
    public static void linear(float[] x, int xOff, int M, int K, MemorySegment w, int N, float[] y, int yOff) {
        if (M <= 0 || N <= 0) return;
        if ((K & 1) != 0) throw new IllegalArgumentException("bf16 linear needs an even K, got " + K);
        if (w.byteSize() < 2L * N * K) throw new IllegalArgumentException("weight segment too small");
        long timer = GemmTimer.start();
        try {
            int H = K / 2;
            float[] xs = SPLIT.get();
            if (xs.length < 2 * M * H) SPLIT.set(xs = new float[2 * M * H]);
            for (int m = 0; m < M; m++) {
                int src = xOff + m * K, ev = 2 * m * H, od = ev + H;
                for (int j = 0; j < H; j++) {
                    xs[ev + j] = x[src + 2 * j];
                    xs[od + j] = x[src + 2 * j + 1];
                }
            }
            float[] xsplit = xs;
            int units = (N + 3) / 4, chunks = Math.min(units, 4 * Parallel.threads());
            Parallel.forEach(chunks, 2L * M * N * K, t -> {
                int n0 = Math.min(N, t * units / chunks * 4), n1 = Math.min(N, (t + 1) * units / chunks * 4);
                rows(xsplit, M, H, w, n0, n1, y, yOff, N);
            });
        } finally {
            GemmTimer.stop(timer);
        }
    }

    /** W rows [n0, n1), 4 at a time, against every x row. */
    private static void rows(float[] xs, int M, int H, MemorySegment w, int n0, int n1, float[] y, int yOff, int N) {
        int hv = I.loopBound(H);
        long rowBytes = 4L * H;
        int n = n0;
        for (; n + 4 <= n1; n += 4) {
            long b0 = n * rowBytes, b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
            for (int m = 0; m < M; m++) {
                int ev = 2 * m * H, od = ev + H;
                FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S),
                        a3 = FloatVector.zero(S);
                for (int j = 0; j < hv; j += L) {
                    FloatVector xe = FloatVector.fromArray(S, xs, ev + j), xo = FloatVector.fromArray(S, xs, od + j);
                    long o = 4L * j;
                    IntVector w0 = IntVector.fromMemorySegment(I, w, b0 + o, ByteOrder.LITTLE_ENDIAN);
                    IntVector w1 = IntVector.fromMemorySegment(I, w, b1 + o, ByteOrder.LITTLE_ENDIAN);
                    IntVector w2 = IntVector.fromMemorySegment(I, w, b2 + o, ByteOrder.LITTLE_ENDIAN);
                    IntVector w3 = IntVector.fromMemorySegment(I, w, b3 + o, ByteOrder.LITTLE_ENDIAN);
                    a0 = lo(w0).fma(xe, a0);
                    a1 = lo(w1).fma(xe, a1);
                    a2 = lo(w2).fma(xe, a2);
                    a3 = lo(w3).fma(xe, a3);
                    a0 = hi(w0).fma(xo, a0);
                    a1 = hi(w1).fma(xo, a1);
                    a2 = hi(w2).fma(xo, a2);
                    a3 = hi(w3).fma(xo, a3);
                }
                int yo = yOff + m * N + n;
                y[yo] = VecMath.sum(a0) + tail(xs, ev, od, hv, H, w, b0);
                y[yo + 1] = VecMath.sum(a1) + tail(xs, ev, od, hv, H, w, b1);
                y[yo + 2] = VecMath.sum(a2) + tail(xs, ev, od, hv, H, w, b2);
                y[yo + 3] = VecMath.sum(a3) + tail(xs, ev, od, hv, H, w, b3);
            }
        }
        for (; n < n1; n++) {
            long b = n * rowBytes;
            for (int m = 0; m < M; m++) {
                int ev = 2 * m * H, od = ev + H;
                FloatVector a = FloatVector.zero(S);
                for (int j = 0; j < hv; j += L) {
                    IntVector wv = IntVector.fromMemorySegment(I, w, b + 4L * j, ByteOrder.LITTLE_ENDIAN);
                    a = lo(wv).fma(FloatVector.fromArray(S, xs, ev + j), a);
                    a = hi(wv).fma(FloatVector.fromArray(S, xs, od + j), a);
                }
                y[yOff + m * N + n] = VecMath.sum(a) + tail(xs, ev, od, hv, H, w, b);
            }
        }
    }

    private static FloatVector lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector hi(IntVector v) {
        return v.and(0xFFFF0000).reinterpretAsFloats();
    }

    private static final java.lang.foreign.ValueLayout.OfInt I32_LE =
            java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Σ over the pairs j in [from, H) of x[2j]·w[2j] + x[2j+1]·w[2j+1], row at byte b. */
    private static float tail(float[] xs, int ev, int od, int from, int H, MemorySegment w, long b) {
        float s = 0f;
        for (int j = from; j < H; j++) {
            int v = w.get(I32_LE, b + 4L * j);
            s += Float.intBitsToFloat(v << 16) * xs[ev + j] + Float.intBitsToFloat(v & 0xFFFF0000) * xs[od + j];
        }
        return s;
    }
}
