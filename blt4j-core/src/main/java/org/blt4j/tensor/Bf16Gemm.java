package org.blt4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 *
 * <p>Decode is memory-bound, so the kernel is shaped for streaming: each thread reads a contiguous range of W rows as
 * two sequential streams, rows i and i + half together (measured on 2 Zen 3 cores: one stream per thread reads ~25
 * GB/s, two ~31, more than a plain summing loop gets); with M > 1 the product is compute-bound and goes through
 * register tiles of 4 W rows × 4 x rows ({@link #fourRows}), or for few x rows and short W rows 2 W rows × 4 x rows
 * ({@link #twoRows}), the W rows staying in L1 from tile to tile. Every output has one accumulator, which takes the
 * low halves' and then the high halves' FMA for each vector of W. Below {@link #WIDEN_MIN_M} rows, each y[m, n] is
 * summed in that order whatever M, the row range or the thread count, so batched rows equal rows computed alone. From
 * {@link #WIDEN_MIN_M} rows on (a prompt) the product is compute-bound and goes through the fp32 GEMM instead.
 */
public final class Bf16Gemm {
    private Bf16Gemm() {}

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> I = VectorWidth.INT;
    private static final int L = S.length();
    /** contiguous row ranges per thread (measured: 1 range of 2 streams beats 2 ranges, 4 streams, per thread) */
    private static final int CHUNKS_PER_THREAD = 1;
    /**
     * M > 1 is compute-bound, so its rows go out in smaller pieces, claimed one at a time: a helper thread that starts
     * late (measured on 2 shared vCPUs: in about 1 call in 5 the helper joined only after the caller had done its
     * half) then still takes a share instead of leaving the caller the whole second half.
     */
    private static final int SMALL_M_CHUNKS_PER_THREAD = 4;
    /**
     * from this many x rows on, W is widened block by block and multiplied by the fp32 GEMM (prompt passes); below it
     * the tiles (measured, bench batch: M = 15 through tiles 31 GFLOP/s against 23 for M = 16 widened), so a decode
     * batch of up to 16 rows gives each row the bits it gets alone
     */
    static final int WIDEN_MIN_M = 17;
    private static final ThreadLocal<float[]> SPLIT = ThreadLocal.withInitial(() -> new float[0]);
    private static final ValueLayout.OfInt I32_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static {
        if (I.length() != L) throw new IllegalStateException("int and float vectors differ in length");
    }

    /** y[M, N] = x[M, K] · W[N, K]ᵀ (K even), W bf16 at byte 0 of w. */
    public static void linear(float[] x, int xOff, int M, int K, MemorySegment w, int N, float[] y, int yOff) {
        linearMany(x, xOff, M, K, new MemorySegment[] {w}, new int[] {N}, new float[][] {y}, new int[] {yOff});
    }

    /**
     * y_i[M, N_i] = x[M, K] · W_iᵀ for several weights that read the same x (e.g. wq, wk, wv): one parallel pass over
     * the rows of all of them, as if they were one matrix [Σ N_i, K]; each y_i as for that weight alone.
     */
    public static void linearMany(float[] x, int xOff, int M, int K, MemorySegment[] w, int[] N, float[][] y, int[] yOff) {
        long total = 0;
        for (int n : N) total += n;
        if (M <= 0 || total == 0) return;
        if ((K & 1) != 0) throw new IllegalArgumentException("bf16 linear needs an even K, got " + K);
        for (int i = 0; i < w.length; i++)
            if (w[i].byteSize() < 2L * N[i] * K) throw new IllegalArgumentException("weight segment " + i + " too small");
        long timer = GemmTimer.start();
        try {
            float[] xs = split(x, xOff, M, K);
            if (M >= WIDEN_MIN_M) { // compute-bound: one GEMM each
                for (int i = 0; i < w.length; i++) widened(xs, M, K, w[i], N[i], y[i], yOff[i]);
                return;
            }
            long T = total;
            int chunks = (int) Math.min(T, (M == 1 ? CHUNKS_PER_THREAD : SMALL_M_CHUNKS_PER_THREAD) * Parallel.threads());
            Parallel.forEach(chunks, 2L * M * T * K, t -> {
                long lo = T * t / chunks, hi = T * (t + 1) / chunks, base = 0;   // global rows [lo, hi)
                for (int i = 0; i < w.length && base < hi; base += N[i], i++) {
                    long n0 = Math.max(lo, base), n1 = Math.min(hi, base + N[i]);
                    if (n0 < n1) rows(xs, M, K / 2, w[i], (int) (n0 - base), (int) (n1 - base), y[i], yOff[i], N[i]);
                }
            });
        } finally {
            GemmTimer.stop(timer);
        }
    }

    /**
     * Many x rows (a prompt): the product is compute-bound, so blocks of W rows are widened to fp32 (in the even/odd
     * order of the split x, which leaves the dot products unchanged but for rounding) and multiplied by the
     * register-tiled fp32 {@link Gemm}, one block per task.
     */
    private static void widened(float[] xs, int M, int K, MemorySegment w, int N, float[] y, int yOff) {
        Gemm.widenedRows(M, N, K, xs, 0, (n0, rows, buf) -> widen(w, n0, rows, K, buf), y, yOff);
    }

    /** W rows [n0, n0 + rows) as fp32 into buf, each row as [even elements, odd elements]. */
    private static void widen(MemorySegment w, int n0, int rows, int K, float[] buf) {
        int H = K / 2, hv = I.loopBound(H);
        for (int r = 0; r < rows; r++) {
            long b = (long) (n0 + r) * 4L * H;
            int ev = r * K, od = ev + H, j = 0;
            for (; j < hv; j += L) {
                IntVector v = load(w, b + 4L * j);
                lo(v).intoArray(buf, ev + j);
                hi(v).intoArray(buf, od + j);
            }
            for (; j < H; j++) {
                int v = w.get(I32_LE, b + 4L * j);
                buf[ev + j] = Float.intBitsToFloat(v << 16);
                buf[od + j] = Float.intBitsToFloat(v & 0xFFFF0000);
            }
        }
    }

    /** x[M, K] as M rows of [even elements (K/2), odd elements (K/2)], in a per-thread buffer. */
    private static float[] split(float[] x, int xOff, int M, int K) {
        int H = K / 2;
        float[] xs = SPLIT.get();
        if (xs.length < M * K) SPLIT.set(xs = new float[M * K]);
        for (int m = 0; m < M; m++) {
            int src = xOff + m * K, ev = m * K, od = ev + H;
            for (int j = 0; j < H; j++) {
                xs[ev + j] = x[src + 2 * j];
                xs[od + j] = x[src + 2 * j + 1];
            }
        }
        return xs;
    }

    /** y[m, n] for W rows n in [n0, n1) and every m. H = K/2 = the 32-bit lanes of a W row. */
    private static void rows(float[] xs, int M, int H, MemorySegment w, int n0, int n1, float[] y, int yOff, int N) {
        float[] lanes = new float[2 * L];
        if (M == 1) { // decode: two W rows half the range apart at a time = two streams for the prefetchers
            int half = (n1 - n0) / 2;
            for (int n = n0; n < n0 + half; n++) dot1x2(xs, 0, H, w, n * 4L * H, (n + half) * 4L * H, y, yOff + n, half, lanes);
            if (((n1 - n0) & 1) != 0) y[yOff + n1 - 1] = dot1(xs, 0, H, w, (n1 - 1) * 4L * H, lanes);
            return;
        }
        float[] acc = ACC.get();
        int accFloats = Math.max((M + 1) / 2 * 4, 16) * L;  // twoRows: 4 vectors per x pair; fourRows: 16 per tile
        if (acc.length < accFloats) ACC.set(acc = new float[accFloats]);
        if (M >= FOUR_ROWS_MIN_M || 2 * H >= FOUR_ROWS_MIN_K) fourRows(xs, M, H, w, n0, n1, y, yOff, N, acc, lanes);
        else twoRows(xs, M, H, w, n0, n1, y, yOff, N, acc, lanes);
    }

    /**
     * M > 1, tiles of 4 consecutive W rows × 4 x rows ({@link #tile4x4}; then × 2 and × 1 for the rest of M), each over
     * the whole of K: the 4 W rows stay in L1 from tile to tile, and each x vector serves 4 W rows. One accumulator
     * per output (the low and high halves' FMAs in turn) leaves registers for 4 x rows, so M = 8 reads the W rows in 2
     * passes instead of 4 (measured against 4 W × 2 x tiles with two accumulators per output, M = 8 from memory, two
     * threads: 1.13-1.18×).
     */
    private static void fourRows(float[] xs, int M, int H, MemorySegment w, int n0, int n1, float[] y, int yOff, int N,
                                 float[] acc, float[] lanes) {
        int h1 = I.loopBound(H), n = n0;
        long row = 4L * H;
        for (; n + 4 <= n1; n += 4) {
            long b = n * row;
            int m = 0;
            for (; m + 4 <= M; m += 4) {
                tile4x4(xs, 2 * m * H, H, w, b, h1, acc);                 // acc: per W row i, x rows m .. m+3
                for (int i = 0; i < 4; i++)
                    for (int k = 0; k < 4; k++)
                        y[yOff + (m + k) * N + n + i] = VecMath.sumLanes(acc, (4 * i + k) * L)
                                + tail(xs, 2 * (m + k) * H, h1, H, w, b + i * row);
            }
            for (; m + 2 <= M; m += 2) {
                tile2x2(xs, 2 * m * H, H, w, b, b + row, h1, acc, 0);       // acc: [p0 q0 p1 q1] per W pair
                tile2x2(xs, 2 * m * H, H, w, b + 2 * row, b + 3 * row, h1, acc, 4 * L);
                for (int i = 0; i < 4; i++)
                    for (int k = 0; k < 2; k++)
                        y[yOff + (m + k) * N + n + i] = VecMath.sumLanes(acc, (i / 2 * 4 + 2 * k + (i & 1)) * L)
                                + tail(xs, 2 * (m + k) * H, h1, H, w, b + i * row);
            }
            if (m < M) {                                                  // acc: per W row i
                tile2x1(xs, 2 * m * H, H, w, b, b + row, h1, acc, 0);
                tile2x1(xs, 2 * m * H, H, w, b + 2 * row, b + 3 * row, h1, acc, 2 * L);
                for (int i = 0; i < 4; i++)
                    y[yOff + m * N + n + i] = VecMath.sumLanes(acc, i * L) + tail(xs, 2 * m * H, h1, H, w, b + i * row);
            }
        }
        for (; n < n1; n++) allRows(xs, M, H, w, n, y, yOff, N, lanes);
    }

    /**
     * M > 1 with short rows: tiles of 2 W rows (n and n + half: two streams) × 4, 2 or 1 x rows, each W vector
     * widened once for the tile's x rows, each tile over the whole of K (the pair of W rows stays in L1 from tile to
     * tile). Blocks of K that kept every x row in L1 measured slower, in one process at the blt-1b shapes: whole K
     * 1.0-1.36× at M = 8, 1.18-1.78× at M = 16, 0.96-1.08× at M = 2 and 4.
     */
    private static void twoRows(float[] xs, int M, int H, MemorySegment w, int n0, int n1, float[] y, int yOff, int N,
                                float[] acc, float[] lanes) {
        int half = (n1 - n0) / 2, h1 = I.loopBound(H);
        for (int n = n0; n < n0 + half; n++) {
            long b = n * 4L * H, c = (n + half) * 4L * H;
            int t = 0;
            for (; t + 4 <= M; t += 4) tile2x4(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 4 * L);
            for (; t + 2 <= M; t += 2) tile2x2(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 4 * L);
            if (t < M) tile2x1(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 4 * L);
            for (int m = 0; m < M; m++) {                              // acc: [p q P Q] per x pair (lower case: first x)
                int a = m / 2 * 4 * L + (m & 1) * 2 * L, xo = 2 * m * H;
                y[yOff + m * N + n] = VecMath.sumLanes(acc, a) + tail(xs, xo, h1, H, w, b);
                y[yOff + m * N + n + half] = VecMath.sumLanes(acc, a + L) + tail(xs, xo, h1, H, w, c);
            }
        }
        if (((n1 - n0) & 1) != 0) allRows(xs, M, H, w, n1 - 1, y, yOff, N, lanes);
    }

    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[0]);
    /** from this many x rows, or from this K, the tiles take 4 W rows at a time ({@link #fourRows}) */
    static final int FOUR_ROWS_MIN_M = 5, FOUR_ROWS_MIN_K = 1024;

    /**
     * dot1's accumulators, over the pairs [0, h1), of the x rows at xs[xo..] and xs[xo + 2H..] with the W rows at
     * bytes b and c, written to acc[at ..] as [p q P Q] (p, q: W rows b, c against the first x row; P, Q against the
     * second). Each W vector is loaded and widened once for both x rows.
     */
    private static void tile2x2(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        FloatVector z = FloatVector.zero(S), p = z, q = z, P = z, Q = z;
        int od = xo + H, xo2 = xo + 2 * H, od2 = xo2 + H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xo + j), xe2 = FloatVector.fromArray(S, xs, xo2 + j);
            FloatVector lv = lo(v), lu = lo(u);
            p = lv.fma(xe, p);
            P = lv.fma(xe2, P);
            q = lu.fma(xe, q);
            Q = lu.fma(xe2, Q);
            FloatVector xd = FloatVector.fromArray(S, xs, od + j), xd2 = FloatVector.fromArray(S, xs, od2 + j);
            FloatVector hv = hi(v), hu = hi(u);
            p = hv.fma(xd, p);
            P = hv.fma(xd2, P);
            q = hu.fma(xd, q);
            Q = hu.fma(xd2, Q);
        }
        p.intoArray(acc, at);
        q.intoArray(acc, at + L);
        P.intoArray(acc, at + 2 * L);
        Q.intoArray(acc, at + 3 * L);
    }

    /**
     * tile2x2 for 4 x rows (two pairs: acc[at ..] and acc[at + 4L ..], each laid out as tile2x2's): each widened W
     * vector serves 4 x rows.
     */
    private static void tile2x4(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        FloatVector z = FloatVector.zero(S), p = z, q = z, P = z, Q = z, r = z, s = z, R = z, T = z;
        int x1 = xo + 2 * H, x2 = x1 + 2 * H, x3 = x2 + 2 * H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector lv = lo(v), lu = lo(u);
            FloatVector e0 = FloatVector.fromArray(S, xs, xo + j), e1 = FloatVector.fromArray(S, xs, x1 + j),
                    e2 = FloatVector.fromArray(S, xs, x2 + j), e3 = FloatVector.fromArray(S, xs, x3 + j);
            p = lv.fma(e0, p);
            q = lu.fma(e0, q);
            P = lv.fma(e1, P);
            Q = lu.fma(e1, Q);
            r = lv.fma(e2, r);
            s = lu.fma(e2, s);
            R = lv.fma(e3, R);
            T = lu.fma(e3, T);
            FloatVector hv = hi(v), hu = hi(u);
            FloatVector o0 = FloatVector.fromArray(S, xs, xo + H + j), o1 = FloatVector.fromArray(S, xs, x1 + H + j),
                    o2 = FloatVector.fromArray(S, xs, x2 + H + j), o3 = FloatVector.fromArray(S, xs, x3 + H + j);
            p = hv.fma(o0, p);
            q = hu.fma(o0, q);
            P = hv.fma(o1, P);
            Q = hu.fma(o1, Q);
            r = hv.fma(o2, r);
            s = hu.fma(o2, s);
            R = hv.fma(o3, R);
            T = hu.fma(o3, T);
        }
        p.intoArray(acc, at);
        q.intoArray(acc, at + L);
        P.intoArray(acc, at + 2 * L);
        Q.intoArray(acc, at + 3 * L);
        r.intoArray(acc, at + 4 * L);
        s.intoArray(acc, at + 5 * L);
        R.intoArray(acc, at + 6 * L);
        T.intoArray(acc, at + 7 * L);
    }

    /**
     * 4 consecutive W rows (from byte b, rows of 4H bytes) × the 4 x rows from xs[xo..] (2H floats apart): each x
     * vector serves 4 W rows and each widened W vector 4 x rows. acc[0 .. 16L): W row i, x row k at (4i + k)·L, each
     * as dot1 sums it. The widening is written out (see {@link Int8Gemm}'s tile2 on C2's inlining cutoff).
     */
    private static void tile4x4(float[] xs, int xo, int H, MemorySegment w, long b, int h1, float[] acc) {
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z,
                c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
        long row = 4L * H;
        int o1 = xo + 2 * H, o2 = o1 + 2 * H, o3 = o2 + 2 * H;
        for (int j = 0; j < h1; j += L) {
            long o = b + 4L * j;
            IntVector v0 = IntVector.fromMemorySegment(I, w, o, ByteOrder.LITTLE_ENDIAN),
                    v1 = IntVector.fromMemorySegment(I, w, o + row, ByteOrder.LITTLE_ENDIAN),
                    v2 = IntVector.fromMemorySegment(I, w, o + 2 * row, ByteOrder.LITTLE_ENDIAN),
                    v3 = IntVector.fromMemorySegment(I, w, o + 3 * row, ByteOrder.LITTLE_ENDIAN);
            FloatVector e0 = FloatVector.fromArray(S, xs, xo + j), e1 = FloatVector.fromArray(S, xs, o1 + j),
                    e2 = FloatVector.fromArray(S, xs, o2 + j), e3 = FloatVector.fromArray(S, xs, o3 + j);
            FloatVector l = v0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            a0 = l.fma(e0, a0);
            a1 = l.fma(e1, a1);
            a2 = l.fma(e2, a2);
            a3 = l.fma(e3, a3);
            l = v1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            b0 = l.fma(e0, b0);
            b1 = l.fma(e1, b1);
            b2 = l.fma(e2, b2);
            b3 = l.fma(e3, b3);
            l = v2.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            c0 = l.fma(e0, c0);
            c1 = l.fma(e1, c1);
            c2 = l.fma(e2, c2);
            c3 = l.fma(e3, c3);
            l = v3.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            d0 = l.fma(e0, d0);
            d1 = l.fma(e1, d1);
            d2 = l.fma(e2, d2);
            d3 = l.fma(e3, d3);
            e0 = FloatVector.fromArray(S, xs, xo + H + j);
            e1 = FloatVector.fromArray(S, xs, o1 + H + j);
            e2 = FloatVector.fromArray(S, xs, o2 + H + j);
            e3 = FloatVector.fromArray(S, xs, o3 + H + j);
            l = v0.and(0xFFFF0000).reinterpretAsFloats();
            a0 = l.fma(e0, a0);
            a1 = l.fma(e1, a1);
            a2 = l.fma(e2, a2);
            a3 = l.fma(e3, a3);
            l = v1.and(0xFFFF0000).reinterpretAsFloats();
            b0 = l.fma(e0, b0);
            b1 = l.fma(e1, b1);
            b2 = l.fma(e2, b2);
            b3 = l.fma(e3, b3);
            l = v2.and(0xFFFF0000).reinterpretAsFloats();
            c0 = l.fma(e0, c0);
            c1 = l.fma(e1, c1);
            c2 = l.fma(e2, c2);
            c3 = l.fma(e3, c3);
            l = v3.and(0xFFFF0000).reinterpretAsFloats();
            d0 = l.fma(e0, d0);
            d1 = l.fma(e1, d1);
            d2 = l.fma(e2, d2);
            d3 = l.fma(e3, d3);
        }
        a0.intoArray(acc, 0);
        a1.intoArray(acc, L);
        a2.intoArray(acc, 2 * L);
        a3.intoArray(acc, 3 * L);
        b0.intoArray(acc, 4 * L);
        b1.intoArray(acc, 5 * L);
        b2.intoArray(acc, 6 * L);
        b3.intoArray(acc, 7 * L);
        c0.intoArray(acc, 8 * L);
        c1.intoArray(acc, 9 * L);
        c2.intoArray(acc, 10 * L);
        c3.intoArray(acc, 11 * L);
        d0.intoArray(acc, 12 * L);
        d1.intoArray(acc, 13 * L);
        d2.intoArray(acc, 14 * L);
        d3.intoArray(acc, 15 * L);
    }

    /** tile2x2 for one x row (an odd M's last): acc[at ..] holds p q. */
    private static void tile2x1(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        FloatVector p = FloatVector.zero(S), q = FloatVector.zero(S);
        int od = xo + H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xo + j), xd = FloatVector.fromArray(S, xs, od + j);
            p = lo(v).fma(xe, p);
            q = lo(u).fma(xe, q);
            p = hi(v).fma(xd, p);
            q = hi(u).fma(xd, q);
        }
        p.intoArray(acc, at);
        q.intoArray(acc, at + L);
    }

    /** y[m, n] for every m: W row n against x rows two at a time. */
    private static void allRows(float[] xs, int M, int H, MemorySegment w, int n, float[] y, int yOff, int N, float[] lanes) {
        long b = n * 4L * H;
        int m = 0;
        for (; m + 2 <= M; m += 2) dot2(xs, 2 * m * H, H, w, b, y, yOff + m * N + n, N, lanes);
        if (m < M) y[yOff + m * N + n] = dot1(xs, 2 * m * H, H, w, b, lanes);
    }

    /**
     * Σ_k x[k]·w[k] for the x row at xs[xo..] (split) and the W row at byte b, in the kernel's one order: per vector
     * of W (L pairs), the low halves times the even x, then the high halves times the odd x, into one accumulator;
     * then summed over lanes ({@link VecMath#sum}), and the pairs past the last whole vector added one by one. (One
     * accumulator per output leaves the tiles registers for more rows; at M = 1 its chain of two FMAs per vector is
     * shorter than a memory-bound row needs.)
     */
    private static float dot1(float[] xs, int xo, int H, MemorySegment w, long b, float[] lanes) {
        FloatVector a = FloatVector.zero(S);
        int h1 = I.loopBound(H), od = xo + H;
        for (int j = 0; j < h1; j += L) {
            IntVector v = load(w, b + 4L * j);
            a = lo(v).fma(FloatVector.fromArray(S, xs, xo + j), a);
            a = hi(v).fma(FloatVector.fromArray(S, xs, od + j), a);
        }
        a.intoArray(lanes, 0); // reduced by a call that takes an array, not a vector
        return VecMath.sumLanes(lanes, 0) + tail(xs, xo, h1, H, w, b);
    }

    /** dot1 of the x row at xs[xs0..] with the W rows at bytes b and c: y[yo] and y[yo + dy]. */
    private static void dot1x2(float[] xs, int xs0, int H, MemorySegment w, long b, long c, float[] y, int yo, int dy,
                               float[] lanes) {
        FloatVector a = FloatVector.zero(S), d = FloatVector.zero(S);
        int h1 = I.loopBound(H);
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xs0 + j), xo = FloatVector.fromArray(S, xs, xs0 + H + j);
            a = lo(v).fma(xe, a);
            d = lo(u).fma(xe, d);
            a = hi(v).fma(xo, a);
            d = hi(u).fma(xo, d);
        }
        a.intoArray(lanes, 0);
        d.intoArray(lanes, L);
        y[yo] = VecMath.sumLanes(lanes, 0) + tail(xs, xs0, h1, H, w, b);
        y[yo + dy] = VecMath.sumLanes(lanes, L) + tail(xs, xs0, h1, H, w, c);
    }

    /** dot1 for the x rows at xs[xo..] and xs[xo + 2H..] against one W row: y[yo] and y[yo + N]. */
    private static void dot2(float[] xs, int xo, int H, MemorySegment w, long b, float[] y, int yo, int N, float[] lanes) {
        FloatVector a = FloatVector.zero(S), c = FloatVector.zero(S);
        int h1 = I.loopBound(H), od = xo + H, xo2 = xo + 2 * H, od2 = xo2 + H;
        for (int j = 0; j < h1; j += L) {
            IntVector v = load(w, b + 4L * j);
            FloatVector l = lo(v), h = hi(v);
            a = l.fma(FloatVector.fromArray(S, xs, xo + j), a);
            c = l.fma(FloatVector.fromArray(S, xs, xo2 + j), c);
            a = h.fma(FloatVector.fromArray(S, xs, od + j), a);
            c = h.fma(FloatVector.fromArray(S, xs, od2 + j), c);
        }
        a.intoArray(lanes, 0);
        c.intoArray(lanes, L);
        y[yo] = VecMath.sumLanes(lanes, 0) + tail(xs, xo, h1, H, w, b);
        y[yo + N] = VecMath.sumLanes(lanes, L) + tail(xs, xo2, h1, H, w, b);
    }

    private static IntVector load(MemorySegment w, long at) {
        return IntVector.fromMemorySegment(I, w, at, ByteOrder.LITTLE_ENDIAN);
    }

    private static FloatVector lo(IntVector v) {
        return v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    private static FloatVector hi(IntVector v) {
        return v.and(0xFFFF0000).reinterpretAsFloats();
    }

    /** Σ over the pairs j in [from, H) of x[2j]·w[2j] + x[2j+1]·w[2j+1], x row at xs[xo..] (split), W row at byte b. */
    private static float tail(float[] xs, int xo, int from, int H, MemorySegment w, long b) {
        float s = 0f;
        for (int j = from; j < H; j++) {
            int v = w.get(I32_LE, b + 4L * j);
            s += Float.intBitsToFloat(v << 16) * xs[xo + j] + Float.intBitsToFloat(v & 0xFFFF0000) * xs[xo + H + j];
        }
        return s;
    }
}
