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
 * register tiles of 4 W rows × 2 x rows ({@link #fourRows}), or for few x rows and short W rows 2 W rows × 4 x rows
 * ({@link #twoRows}), the W rows staying in L1 from tile to tile. Below
 * {@link #WIDEN_MIN_M} rows, each y[m, n] is summed in the same order whatever M, the row range or the thread count, so batched rows equal rows computed alone. From
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
        int accFloats = Math.max((M + 1) / 2, 2) * 8 * L;  // twoRows: 8 vectors per x pair; fourRows: 16 per tile
        if (acc.length < accFloats) ACC.set(acc = new float[accFloats]);
        if (M >= FOUR_ROWS_MIN_M || 2 * H >= FOUR_ROWS_MIN_K) fourRows(xs, M, H, w, n0, n1, y, yOff, N, acc, lanes);
        else twoRows(xs, M, H, w, n0, n1, y, yOff, N, acc, lanes);
    }

    /**
     * M > 1, tiles of 4 consecutive W rows × 2 x rows ({@link #tile4x2}; an odd M's last x row through two
     * {@link #tile2x1}), each over the whole of K: the 4 W rows stay in L1 from x pair to x pair, and each x vector
     * serves 4 W rows. Measured against {@link #twoRows} in one process at the blt-1b shapes (2 threads, weights
     * larger than the caches): M = 8 1.08-1.47×, M = 16 1.11-1.48×; M = 2..4 with K ≥ 1024 1.00-1.41×, with K = 768
     * 0.77-0.89× (short rows: the tile's fixed cost, 16 stores and 8 lane sums, is spread over few vectors).
     */
    private static void fourRows(float[] xs, int M, int H, MemorySegment w, int n0, int n1, float[] y, int yOff, int N,
                                 float[] acc, float[] lanes) {
        int h1 = I.loopBound(H), n = n0;
        long row = 4L * H;
        for (; n + 4 <= n1; n += 4) {
            long b = n * row;
            int m = 0;
            for (; m + 2 <= M; m += 2) {
                tile4x2(xs, 2 * m * H, H, w, b, h1, acc);              // acc: per W row i [lo·x0 hi·x0 lo·x1 hi·x1]
                for (int i = 0; i < 4; i++)
                    for (int k = 0; k < 2; k++)
                        y[yOff + (m + k) * N + n + i] = sum2(acc, (4 * i + 2 * k) * L, lanes)
                                + tail(xs, 2 * (m + k) * H, h1, H, w, b + i * row);
            }
            if (m < M) {                                                  // acc: per W row i [lo·x hi·x]
                tile2x1(xs, 2 * m * H, H, w, b, b + row, h1, acc, 0);
                tile2x1(xs, 2 * m * H, H, w, b + 2 * row, b + 3 * row, h1, acc, 4 * L);
                for (int i = 0; i < 4; i++)
                    y[yOff + m * N + n + i] = sum2(acc, 2 * i * L, lanes) + tail(xs, 2 * m * H, h1, H, w, b + i * row);
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
            for (; t + 4 <= M; t += 4) tile2x4(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 8 * L);
            for (; t + 2 <= M; t += 2) tile2x2(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 8 * L);
            if (t < M) tile2x1(xs, 2 * t * H, H, w, b, c, h1, acc, t / 2 * 8 * L);
            for (int m = 0; m < M; m++) {                              // acc: [p0 p1 q0 q1 P0 P1 Q0 Q1] per x pair
                int a = m / 2 * 8 * L + (m & 1) * 4 * L, xo = 2 * m * H;
                y[yOff + m * N + n] = sum2(acc, a, lanes) + tail(xs, xo, h1, H, w, b);
                y[yOff + m * N + n + half] = sum2(acc, a + 2 * L, lanes) + tail(xs, xo, h1, H, w, c);
            }
        }
        if (((n1 - n0) & 1) != 0) allRows(xs, M, H, w, n1 - 1, y, yOff, N, lanes);
    }

    private static final ThreadLocal<float[]> ACC = ThreadLocal.withInitial(() -> new float[0]);
    /** from this many x rows, or from this K, the tiles take 4 W rows at a time ({@link #fourRows}) */
    static final int FOUR_ROWS_MIN_M = 5, FOUR_ROWS_MIN_K = 1024;

    /** (a0 + a1) summed over lanes, the two accumulators at acc[a..] and acc[a + L..]: as dot1 finishes. */
    private static float sum2(float[] acc, int a, float[] lanes) {
        FloatVector.fromArray(S, acc, a).add(FloatVector.fromArray(S, acc, a + L)).intoArray(lanes, 0);
        return VecMath.sumLanes(lanes, 0);
    }

    /**
     * dot1's accumulators, over the pairs [0, h1), of the x rows at xs[xo..] and xs[xo + 2H..] with the W rows at
     * bytes b and c, written to acc[at ..] (8 vectors: p0 p1 q0 q1 for the first x row, P0 P1 Q0 Q1 for the second;
     * p: W row b, q: W row c; 0: low halves × even x, 1: high halves × odd x). Each W vector is loaded and widened
     * once for both x rows: 6 loads per 8 FMAs where dot2 needs 5 per 4. (Measured on one Zen 4 core with W in L2:
     * ~100 GFLOP/s against ~35 for dot2. A first 4 W rows × 2 x rows tile that called lo/hi ran at ~10: the vectors
     * boxed past C2's inlining cutoff; {@link #tile4x2} writes the widening out.)
     */
    private static void tile2x2(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        FloatVector z = FloatVector.zero(S), p0 = z, p1 = z, q0 = z, q1 = z, P0 = z, P1 = z, Q0 = z, Q1 = z;
        int od = xo + H, xo2 = xo + 2 * H, od2 = xo2 + H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xo + j), xe2 = FloatVector.fromArray(S, xs, xo2 + j);
            FloatVector xd = FloatVector.fromArray(S, xs, od + j), xd2 = FloatVector.fromArray(S, xs, od2 + j);
            FloatVector lv = lo(v), lu = lo(u), hv = hi(v), hu = hi(u);
            p0 = lv.fma(xe, p0);
            P0 = lv.fma(xe2, P0);
            q0 = lu.fma(xe, q0);
            Q0 = lu.fma(xe2, Q0);
            p1 = hv.fma(xd, p1);
            P1 = hv.fma(xd2, P1);
            q1 = hu.fma(xd, q1);
            Q1 = hu.fma(xd2, Q1);
        }
        p0.intoArray(acc, at);
        p1.intoArray(acc, at + L);
        q0.intoArray(acc, at + 2 * L);
        q1.intoArray(acc, at + 3 * L);
        P0.intoArray(acc, at + 4 * L);
        P1.intoArray(acc, at + 5 * L);
        Q0.intoArray(acc, at + 6 * L);
        Q1.intoArray(acc, at + 7 * L);
    }

    /**
     * tile2x2 for 4 x rows (two pairs: acc[at ..] and acc[at + 8L ..], each laid out as tile2x2's): each widened W
     * vector serves 4 x rows, 10 loads per 16 FMAs. 16 accumulators and no helper beyond lo/hi keep C2's graph under
     * its inlining cutoff (measured on one core with W in L2: about 1.4× tile2x2's GFLOP/s).
     */
    private static void tile2x4(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        int bt = at + 8 * L;
        FloatVector z = FloatVector.zero(S), p0 = z, p1 = z, q0 = z, q1 = z, P0 = z, P1 = z, Q0 = z, Q1 = z,
                r0 = z, r1 = z, s0 = z, s1 = z, R0 = z, R1 = z, S0 = z, S1 = z;
        int x1 = xo + 2 * H, x2 = x1 + 2 * H, x3 = x2 + 2 * H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector lv = lo(v), lu = lo(u);
            FloatVector e0 = FloatVector.fromArray(S, xs, xo + j), e1 = FloatVector.fromArray(S, xs, x1 + j),
                    e2 = FloatVector.fromArray(S, xs, x2 + j), e3 = FloatVector.fromArray(S, xs, x3 + j);
            p0 = lv.fma(e0, p0);
            q0 = lu.fma(e0, q0);
            P0 = lv.fma(e1, P0);
            Q0 = lu.fma(e1, Q0);
            r0 = lv.fma(e2, r0);
            s0 = lu.fma(e2, s0);
            R0 = lv.fma(e3, R0);
            S0 = lu.fma(e3, S0);
            FloatVector hv = hi(v), hu = hi(u);
            FloatVector o0 = FloatVector.fromArray(S, xs, xo + H + j), o1 = FloatVector.fromArray(S, xs, x1 + H + j),
                    o2 = FloatVector.fromArray(S, xs, x2 + H + j), o3 = FloatVector.fromArray(S, xs, x3 + H + j);
            p1 = hv.fma(o0, p1);
            q1 = hu.fma(o0, q1);
            P1 = hv.fma(o1, P1);
            Q1 = hu.fma(o1, Q1);
            r1 = hv.fma(o2, r1);
            s1 = hu.fma(o2, s1);
            R1 = hv.fma(o3, R1);
            S1 = hu.fma(o3, S1);
        }
        p0.intoArray(acc, at);
        p1.intoArray(acc, at + L);
        q0.intoArray(acc, at + 2 * L);
        q1.intoArray(acc, at + 3 * L);
        P0.intoArray(acc, at + 4 * L);
        P1.intoArray(acc, at + 5 * L);
        Q0.intoArray(acc, at + 6 * L);
        Q1.intoArray(acc, at + 7 * L);
        r0.intoArray(acc, bt);
        r1.intoArray(acc, bt + L);
        s0.intoArray(acc, bt + 2 * L);
        s1.intoArray(acc, bt + 3 * L);
        R0.intoArray(acc, bt + 4 * L);
        R1.intoArray(acc, bt + 5 * L);
        S0.intoArray(acc, bt + 6 * L);
        S1.intoArray(acc, bt + 7 * L);
    }

    /**
     * 4 consecutive W rows (from byte b, rows of 4H bytes) × the 2 x rows at xs[xo..] and xs[xo + 2H..]: each x vector
     * serves 4 W rows, so a tile loads 4 x vectors per 16 FMAs (tile2x4: 8). acc[0 .. 16L): per W row i, [lo × x0,
     * hi × x0, lo × x1, hi × x1], each as dot1 sums it. The widening is written out (see {@link Int8Gemm}'s tile2 on
     * C2's inlining cutoff).
     */
    private static void tile4x2(float[] xs, int xo, int H, MemorySegment w, long b, int h1, float[] acc) {
        FloatVector z = FloatVector.zero(S), a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z,
                c0 = z, c1 = z, c2 = z, c3 = z, d0 = z, d1 = z, d2 = z, d3 = z;
        long row = 4L * H;
        int od = xo + H, xo2 = xo + 2 * H, od2 = xo2 + H;
        for (int j = 0; j < h1; j += L) {
            long o = b + 4L * j;
            FloatVector e0 = FloatVector.fromArray(S, xs, xo + j), e1 = FloatVector.fromArray(S, xs, xo2 + j);
            FloatVector f0 = FloatVector.fromArray(S, xs, od + j), f1 = FloatVector.fromArray(S, xs, od2 + j);
            IntVector v = IntVector.fromMemorySegment(I, w, o, ByteOrder.LITTLE_ENDIAN);
            FloatVector l = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats(), h = v.and(0xFFFF0000).reinterpretAsFloats();
            a0 = l.fma(e0, a0);
            a1 = h.fma(f0, a1);
            a2 = l.fma(e1, a2);
            a3 = h.fma(f1, a3);
            v = IntVector.fromMemorySegment(I, w, o + row, ByteOrder.LITTLE_ENDIAN);
            l = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            h = v.and(0xFFFF0000).reinterpretAsFloats();
            b0 = l.fma(e0, b0);
            b1 = h.fma(f0, b1);
            b2 = l.fma(e1, b2);
            b3 = h.fma(f1, b3);
            v = IntVector.fromMemorySegment(I, w, o + 2 * row, ByteOrder.LITTLE_ENDIAN);
            l = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            h = v.and(0xFFFF0000).reinterpretAsFloats();
            c0 = l.fma(e0, c0);
            c1 = h.fma(f0, c1);
            c2 = l.fma(e1, c2);
            c3 = h.fma(f1, c3);
            v = IntVector.fromMemorySegment(I, w, o + 3 * row, ByteOrder.LITTLE_ENDIAN);
            l = v.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
            h = v.and(0xFFFF0000).reinterpretAsFloats();
            d0 = l.fma(e0, d0);
            d1 = h.fma(f0, d1);
            d2 = l.fma(e1, d2);
            d3 = h.fma(f1, d3);
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

    /** tile2x2 for one x row (an odd M's last): acc[at ..] holds p0 p1 q0 q1. */
    private static void tile2x1(float[] xs, int xo, int H, MemorySegment w, long b, long c, int h1,
                                float[] acc, int at) {
        FloatVector z = FloatVector.zero(S), p0 = z, p1 = z, q0 = z, q1 = z;
        int od = xo + H;
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xo + j), xd = FloatVector.fromArray(S, xs, od + j);
            p0 = lo(v).fma(xe, p0);
            q0 = lo(u).fma(xe, q0);
            p1 = hi(v).fma(xd, p1);
            q1 = hi(u).fma(xd, q1);
        }
        p0.intoArray(acc, at);
        p1.intoArray(acc, at + L);
        q0.intoArray(acc, at + 2 * L);
        q1.intoArray(acc, at + 3 * L);
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
     * of W (L pairs), the low halves times the even x into one accumulator and the high halves times the odd x into
     * another; then the two added, summed over lanes ({@link VecMath#sum}), and the pairs past the last whole vector
     * added one by one. (Two accumulators per row, not four: with two rows at a time that is 4 FMA chains and no
     * register spills; measured in L2: 31 GB/s of W per core against 23 for four accumulators.)
     */
    private static float dot1(float[] xs, int xo, int H, MemorySegment w, long b, float[] lanes) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
        int h1 = I.loopBound(H), od = xo + H;
        for (int j = 0; j < h1; j += L) {
            IntVector v = load(w, b + 4L * j);
            a0 = lo(v).fma(FloatVector.fromArray(S, xs, xo + j), a0);
            a1 = hi(v).fma(FloatVector.fromArray(S, xs, od + j), a1);
        }
        a0.add(a1).intoArray(lanes, 0); // reduced by a call that takes an array, not a vector
        return VecMath.sumLanes(lanes, 0) + tail(xs, xo, h1, H, w, b);
    }

    /** dot1 of the x row at xs[xs0..] with the W rows at bytes b and c: y[yo] and y[yo + dy]. */
    private static void dot1x2(float[] xs, int xs0, int H, MemorySegment w, long b, long c, float[] y, int yo, int dy,
                               float[] lanes) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int h1 = I.loopBound(H);
        for (int j = 0; j < h1; j += L) {
            long o = 4L * j;
            IntVector v = load(w, b + o), u = load(w, c + o);
            FloatVector xe = FloatVector.fromArray(S, xs, xs0 + j), xo = FloatVector.fromArray(S, xs, xs0 + H + j);
            a0 = lo(v).fma(xe, a0);
            a1 = hi(v).fma(xo, a1);
            c0 = lo(u).fma(xe, c0);
            c1 = hi(u).fma(xo, c1);
        }
        a0.add(a1).intoArray(lanes, 0);
        c0.add(c1).intoArray(lanes, L);
        y[yo] = VecMath.sumLanes(lanes, 0) + tail(xs, xs0, h1, H, w, b);
        y[yo + dy] = VecMath.sumLanes(lanes, L) + tail(xs, xs0, h1, H, w, c);
    }

    /** dot1 for the x rows at xs[xo..] and xs[xo + 2H..] against one W row: y[yo] and y[yo + N]. */
    private static void dot2(float[] xs, int xo, int H, MemorySegment w, long b, float[] y, int yo, int N, float[] lanes) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), c0 = FloatVector.zero(S), c1 = FloatVector.zero(S);
        int h1 = I.loopBound(H), od = xo + H, xo2 = xo + 2 * H, od2 = xo2 + H;
        for (int j = 0; j < h1; j += L) {
            IntVector v = load(w, b + 4L * j);
            FloatVector l = lo(v), h = hi(v);
            a0 = l.fma(FloatVector.fromArray(S, xs, xo + j), a0);
            a1 = h.fma(FloatVector.fromArray(S, xs, od + j), a1);
            c0 = l.fma(FloatVector.fromArray(S, xs, xo2 + j), c0);
            c1 = h.fma(FloatVector.fromArray(S, xs, od2 + j), c1);
        }
        a0.add(a1).intoArray(lanes, 0);
        c0.add(c1).intoArray(lanes, L);
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
