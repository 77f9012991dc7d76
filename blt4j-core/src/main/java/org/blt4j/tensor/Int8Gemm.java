package org.blt4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.blt4j.Blt4jException;

/**
 * y [M, N] = x [M, K] · Wᵀ with W an {@link Int8Matrix} [N, K] (on the heap or mapped), for few x rows (decode: M = 1,
 * continuous batching: M = 2..16). Shaped like {@link Bf16Gemm}: W streamed once per call, widened on the fly.
 *
 * <p>Widening without shuffles: W is loaded as 32-bit lanes, each holding 4 neighbouring int8 values q[4j..4j+3]; byte
 * i moved to the top of the lane ({@code lane << 8·(3-i)}, low bytes cleared) is q[4j+i]·2^24 as an int, converted
 * exactly to fp32. x is split once per call into 4 interleaved streams (x[4j+i] for i = 0..3), so widened byte i
 * multiplies stream i lane by lane; the 2^24 is taken out once per output.
 *
 * <p>The order of the sums, the same in every kernel path: per (W row, x row), per block of B columns, one vector
 * accumulator p (from 0) takes, chunk by chunk (4L columns), the products of streams 0, 1, 2 and 3 in turn (fma:
 * one chain; measured in L2 on one core, about 1.3× faster than two chains summed at the block's end, which cost one
 * more vector op per chunk); then t = p · scale + t, in one loop over the row's chunks that folds at each block's end
 * (with AVX-512 and B = 64 a block is one chunk, and the chains of different chunks overlap);
 * y = Σ lanes of t ({@link VecMath#sumLanes}) · 2^-24, plus the columns past the last whole chunk (scalar, in column
 * order) times the last block's scale. So y[m, n] does not depend on M (below {@link #WIDEN_MIN_M}), the row range or
 * the thread count: batched rows equal rows computed alone, bitwise. From {@link #WIDEN_MIN_M} rows on (a prompt) W is
 * dequantized block by block into the fp32 GEMM. Needs B a multiple of the chunk (4L columns: 64 with AVX-512, 32 with
 * AVX2); other blocks go through {@link Int8GemmGeneric}.
 *
 * <p>Tiles: M = 1 takes two W rows at a time, one from each half of the thread's range (two streams for the
 * prefetchers, each x vector loaded once for both); M > 1 takes the same two W rows × 4 x rows, so each widened W
 * vector serves 4 FMA chains and each x vector 2 (when 3 x rows are left, the fourth is zero padding, its sums
 * dropped), then × 2 x rows ({@link #tile2x2}) and × 1 ({@link #two}) for the rest; an odd last W row goes alone.
 * (The 2- and 1-row tiles replaced padding every M to a multiple of 4: measured in one process at the blt-1b shapes,
 * M = 2 1.43-1.66×, M = 6 1.11-1.21×.) Once a method's graph passes C2's NodeCountInliningCutoff, C2 stops inlining our own small methods
 * (such as w0..w3) and their vectors fall back to Java objects, about 100× slower; the Vector API's own methods
 * are force-inlined past it. So the 2-row tile writes its widening out instead of calling w0..w3 (measured against
 * the 1-row tile it replaced, in one process at the blt-1b shapes: M = 8 1.41-1.81×, up to 123 GFLOP/s on 2 threads;
 * M = 4 1.49-1.62×).
 */
public final class Int8Gemm {
    private Int8Gemm() {}

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> I = VectorWidth.INT;
    private static final int L = S.length();
    /** columns (= bytes of a W row) per chunk: 4 streams of L */
    static final int CHUNK = 4 * L;
    /**
     * From this many x rows on (a prompt), W is dequantized block by block and multiplied by the fp32 GEMM: the tiles
     * widen every W vector again for each 4 x rows. Below it every row gets the bits it gets alone (batched decode:
     * up to 16 rows), as in {@link Bf16Gemm#WIDEN_MIN_M}.
     */
    static final int WIDEN_MIN_M = 17;
    /** L int8 values (one float vector's worth once widened): 128 bits at L = 16, 64 at L = 8; null otherwise (scalar) */
    private static final VectorSpecies<Byte> BL = L == 16 ? ByteVector.SPECIES_128 : L == 8 ? ByteVector.SPECIES_64 : null;
    /** x rows per tile when M > 1 */
    private static final int MT = 4;
    private static final int TOP = 0xFF000000;
    private static final float UNSCALE = 0x1p-24f;
    private static final ThreadLocal<float[]> SPLIT = ThreadLocal.withInitial(() -> new float[0]);

    /** y[M, N] = x[M, K] · Wᵀ, x at xOff and y at yOff (both row-major, K = w.cols(), N = w.rows()). */
    public static void linear(float[] x, int xOff, int M, Int8Matrix w, float[] y, int yOff) {
        linearMany(x, xOff, M, new Int8Matrix[] {w}, new float[][] {y}, new int[] {yOff});
    }

    /**
     * y_i[M, N_i] = x[M, K] · W_iᵀ for several weights with the same K that read the same x (e.g. wq, wk, wv): one
     * parallel pass over the rows of all of them, as if they were one matrix [Σ N_i, K]; each y_i equals what
     * {@link #linear} gives for that weight alone.
     */
    public static void linearMany(float[] x, int xOff, int M, Int8Matrix[] w, float[][] y, int[] yOff) {
        if (w == null || w.length == 0) throw new Blt4jException("int8 linear: no weight matrix");
        if (y == null || y.length != w.length || yOff == null || yOff.length != w.length)
            throw new Blt4jException("int8 linear: " + w.length + " weights need as many outputs and output offsets");
        if (M < 0) throw new Blt4jException("int8 linear: M " + M + " must be >= 0");
        if (w[0] == null) throw new Blt4jException("int8 linear: weight 0 is missing");
        int K = w[0].cols();
        if (x == null || xOff < 0 || (long) xOff + (long) M * K > x.length)
            throw new Blt4jException("int8 linear: x needs " + (long) M * K + " values from offset " + xOff + ", has " + (x == null ? 0 : x.length));
        long total = 0;
        for (int i = 0; i < w.length; i++) {
            if (w[i] == null) throw new Blt4jException("int8 linear: weight " + i + " is missing");
            if (w[i].cols() != K) throw new Blt4jException("int8 linear: weight " + i + " has K " + w[i].cols() + ", weight 0 has " + K);
            int N = w[i].rows();
            if (y[i] == null || yOff[i] < 0 || (long) yOff[i] + (long) M * N > y[i].length)
                throw new Blt4jException("int8 linear: y " + i + " needs " + (long) M * N + " values from offset " + yOff[i] + ", has " + (y[i] == null ? 0 : y[i].length));
            total += N;
        }
        if (M == 0) return;
        long timer = GemmTimer.start();
        try {
            if (M >= WIDEN_MIN_M) { // a prompt: compute-bound, one fp32 GEMM per weight over dequantized blocks
                for (int i = 0; i < w.length; i++) widened(x, xOff, M, w[i], y[i], yOff[i]);
                return;
            }
            float[] xs = split(x, xOff, M, K);
            long T = total;
            int chunks = (int) Math.min(T, Parallel.threads());
            Parallel.forEach(chunks, 2L * M * T * K, t -> {
                long lo = T * t / chunks, hi = T * (t + 1) / chunks, base = 0; // global rows [lo, hi)
                for (int i = 0; i < w.length && base < hi; base += w[i].rows(), i++) {
                    long n0 = Math.max(lo, base), n1 = Math.min(hi, base + w[i].rows());
                    if (n0 >= n1) continue;
                    if (w[i].blockSize() % CHUNK != 0) Int8GemmGeneric.rows(x, xOff, M, w[i], (int) (n0 - base), (int) (n1 - base), y[i], yOff[i]);
                    else rows(xs, x, xOff, M, w[i], (int) (n0 - base), (int) (n1 - base), y[i], yOff[i]);
                }
            });
        } finally {
            GemmTimer.stop(timer);
        }
    }

    /**
     * Many x rows: blocks of W rows dequantized to fp32 (w = q · scale, rounded once) and multiplied by the
     * register-tiled {@link Gemm}, one block per task. The sums run in the GEMM's order, not the tiles'.
     */
    private static void widened(float[] x, int xOff, int M, Int8Matrix w, float[] y, int yOff) {
        Gemm.widenedRows(M, w.rows(), w.cols(), x, xOff, (n0, rows, buf) -> dequantize(w, n0, rows, buf), y, yOff);
    }

    /** W rows [n0, n0 + rows) as fp32 q · scale into buf [rows, K]: L bytes at a time widened, then the tail. */
    private static void dequantize(Int8Matrix w, int n0, int rows, float[] buf) {
        MemorySegment q = w.q();
        float[] sc = w.scaleArray();
        int K = w.cols(), B = w.blockSize(), bpr = w.blocksPerRow(), V = S.length();
        for (int r = 0; r < rows; r++) {
            long o = (long) (n0 + r) * K;
            int d = r * K, so = (n0 + r) * bpr;
            for (int b = 0; b < bpr; b++) {
                int c = b * B, end = Math.min(K, c + B);
                float s = sc[so + b];
                if (BL != null)
                    for (; c + V <= end; c += V)
                        ((FloatVector) ByteVector.fromMemorySegment(BL, q, o + c, ByteOrder.LITTLE_ENDIAN)
                                .convertShape(VectorOperators.B2F, S, 0)).mul(s).intoArray(buf, d + c);
                for (; c < end; c++) buf[d + c] = q.get(ValueLayout.JAVA_BYTE, o + c) * s;
            }
        }
    }

    /**
     * x [M, K] as rows of 4 streams [4, K/4] (stream i = x[4j + i]), rows padded with zeros to a multiple of
     * {@link #MT}, in a buffer of the calling thread (read by all threads of the call).
     */
    private static float[] split(float[] x, int xOff, int M, int K) {
        int K4 = K / 4, rows = (M + MT - 1) / MT * MT, len = rows * 4 * K4;
        float[] xs = SPLIT.get();
        if (xs.length < len) SPLIT.set(xs = new float[len]);
        for (int m = 0; m < M; m++) {
            int src = xOff + m * K, dst = m * 4 * K4;
            for (int j = 0; j < K4; j++)
                for (int i = 0; i < 4; i++) xs[dst + i * K4 + j] = x[src + 4 * j + i];
        }
        java.util.Arrays.fill(xs, M * 4 * K4, len, 0f);
        return xs;
    }

    /** y[m, n] for W rows n in [n0, n1) and every m: rows from the two halves of the range in turn. */
    private static void rows(float[] xs, float[] x, int xOff, int M, Int8Matrix w, int n0, int n1, float[] y, int yOff) {
        Scratch sc = new Scratch();
        int R = n1 - n0;
        int h = R / 2;
        if (M == 1) {
            for (int n = n0; n < n0 + h; n++) two(xs, 0, x, xOff, w, n, n + h, y, yOff, sc); // a row from each half: two streams
            if ((R & 1) != 0) one(xs, x, xOff, w, n1 - 1, y, yOff, sc);
            return;
        }
        int N = w.rows(), X = 4 * (w.cols() / 4);
        for (int n = n0; n < n0 + h; n++) { // a row from each half: two streams; the pair stays in L1 over the x tiles
            int m = 0;
            for (; M - m >= 3; m += MT) tile2(xs, x, xOff, M, m, w, n, n + h, y, yOff, sc);
            if (M - m >= 2) {
                tile2x2(xs, x, xOff, m, w, n, n + h, y, yOff, sc);
                m += 2;
            }
            if (m < M) two(xs, m * X, x, xOff + m * w.cols(), w, n, n + h, y, yOff + m * N, sc);
        }
        if ((R & 1) != 0)
            for (int m = 0; m < M; m += MT) tile(xs, x, xOff, M, m, w, n1 - 1, y, yOff, sc);
    }

    /** M = 1: y[r] alone (the odd row of a range). */
    private static void one(float[] xs, float[] x, int xOff, Int8Matrix w, int r, float[] y, int yOff, Scratch sc) {
        MemorySegment q = w.q();
        int K = w.cols(), K4 = K / 4, full = K / CHUNK * CHUNK, cpb = w.blockSize() / CHUNK;
        long o = (long) r * K;
        float[] s = w.scaleArray(); // row r's block scales from so
        int so = r * w.blocksPerRow();
        FloatVector z = FloatVector.zero(S), t = z, p = z;
        for (int c = 0, b = 0, k = 0; c < full; c += CHUNK) {
            int j = c / 4;
            IntVector v = load(q, o + c);
            p = w0(v).fma(FloatVector.fromArray(S, xs, j), p);
            p = w1(v).fma(FloatVector.fromArray(S, xs, K4 + j), p);
            p = w2(v).fma(FloatVector.fromArray(S, xs, 2 * K4 + j), p);
            p = w3(v).fma(FloatVector.fromArray(S, xs, 3 * K4 + j), p);
            if (++k == cpb || c + CHUNK == full) { // the block's (or the last whole chunk's) end: scale once
                t = p.fma(FloatVector.broadcast(S, s[so + b]), t);
                p = z;
                k = 0;
                b++;
            }
        }
        t.intoArray(sc.lanes, 0);
        y[yOff + r] = finish(sc.lanes, 0, x, xOff, w, r);
    }

    /**
     * M = 1: y[r] and y[r2], both W rows in one loop (each x vector loaded once for both; measured in L2 on one core
     * about 1.3× one row at a time), each summed exactly as {@link #one} sums it.
     */
    private static void two(float[] xs, int xb, float[] x, int xOff, Int8Matrix w, int r, int r2, float[] y, int yOff, Scratch sc) {
        MemorySegment q = w.q();
        float[] s = w.scaleArray();
        int K = w.cols(), K4 = K / 4, full = K / CHUNK * CHUNK, cpb = w.blockSize() / CHUNK, bpr = w.blocksPerRow();
        long o = (long) r * K, o2 = (long) r2 * K;
        int so = r * bpr, so2 = r2 * bpr;
        FloatVector z = FloatVector.zero(S), t = z, p = z, u = z, g = z, xv;
        for (int c = 0, b = 0, k = 0; c < full; c += CHUNK) {
            int j = xb + c / 4;
            IntVector v = load(q, o + c), v2 = load(q, o2 + c);
            xv = FloatVector.fromArray(S, xs, j);
            p = w0(v).fma(xv, p);
            g = w0(v2).fma(xv, g);
            xv = FloatVector.fromArray(S, xs, K4 + j);
            p = w1(v).fma(xv, p);
            g = w1(v2).fma(xv, g);
            xv = FloatVector.fromArray(S, xs, 2 * K4 + j);
            p = w2(v).fma(xv, p);
            g = w2(v2).fma(xv, g);
            xv = FloatVector.fromArray(S, xs, 3 * K4 + j);
            p = w3(v).fma(xv, p);
            g = w3(v2).fma(xv, g);
            if (++k == cpb || c + CHUNK == full) {
                t = p.fma(FloatVector.broadcast(S, s[so + b]), t);
                u = g.fma(FloatVector.broadcast(S, s[so2 + b]), u);
                p = z;
                g = z;
                k = 0;
                b++;
            }
        }
        t.intoArray(sc.lanes, 0);
        u.intoArray(sc.lanes, L);
        VecMath.sumLanes2(sc.lanes, 0, L, sc.sums, 0); // both rows' lane sums at once (the bits of two sumLanes)
        y[yOff + r] = finish(sc.sums[0], x, xOff, w, r);
        y[yOff + r2] = finish(sc.sums[1], x, xOff, w, r2);
    }

    /**
     * M > 1: y[m, r] for the x rows m0..m0+3 (those below M written), W row r alone: the odd last row of a range
     * ({@link #tile2} takes the pairs).
     */
    private static void tile(float[] xs, float[] x, int xOff, int M, int m0, Int8Matrix w, int r, float[] y, int yOff, Scratch scratch) {
        MemorySegment q = w.q();
        int N = w.rows(), K = w.cols(), K4 = K / 4, full = K / CHUNK * CHUNK, cpb = w.blockSize() / CHUNK;
        int X = 4 * K4, x0 = m0 * X, x1 = x0 + X, x2 = x1 + X, x3 = x2 + X; // the 4 split x rows
        long o = (long) r * K;
        float[] s = w.scaleArray();
        int so = r * w.blocksPerRow();
        FloatVector z = FloatVector.zero(S), t0 = z, t1 = z, t2 = z, t3 = z, a0 = z, a1 = z, a2 = z, a3 = z, wv;
        for (int c = 0, b = 0, k = 0; c < full; c += CHUNK) {
            IntVector v = load(q, o + c);
            int j = c / 4;
                wv = w0(v);
                a0 = wv.fma(FloatVector.fromArray(S, xs, x0 + j), a0);
                a1 = wv.fma(FloatVector.fromArray(S, xs, x1 + j), a1);
                a2 = wv.fma(FloatVector.fromArray(S, xs, x2 + j), a2);
                a3 = wv.fma(FloatVector.fromArray(S, xs, x3 + j), a3);
                j += K4;
                wv = w1(v);
                a0 = wv.fma(FloatVector.fromArray(S, xs, x0 + j), a0);
                a1 = wv.fma(FloatVector.fromArray(S, xs, x1 + j), a1);
                a2 = wv.fma(FloatVector.fromArray(S, xs, x2 + j), a2);
                a3 = wv.fma(FloatVector.fromArray(S, xs, x3 + j), a3);
                j += K4;
                wv = w2(v);
                a0 = wv.fma(FloatVector.fromArray(S, xs, x0 + j), a0);
                a1 = wv.fma(FloatVector.fromArray(S, xs, x1 + j), a1);
                a2 = wv.fma(FloatVector.fromArray(S, xs, x2 + j), a2);
                a3 = wv.fma(FloatVector.fromArray(S, xs, x3 + j), a3);
                j += K4;
                wv = w3(v);
                a0 = wv.fma(FloatVector.fromArray(S, xs, x0 + j), a0);
                a1 = wv.fma(FloatVector.fromArray(S, xs, x1 + j), a1);
                a2 = wv.fma(FloatVector.fromArray(S, xs, x2 + j), a2);
                a3 = wv.fma(FloatVector.fromArray(S, xs, x3 + j), a3);
            if (++k == cpb || c + CHUNK == full) {
                FloatVector sc = FloatVector.broadcast(S, s[so + b]);
                t0 = a0.fma(sc, t0);
                t1 = a1.fma(sc, t1);
                t2 = a2.fma(sc, t2);
                t3 = a3.fma(sc, t3);
                a0 = z;
                a1 = z;
                a2 = z;
                a3 = z;
                k = 0;
                b++;
            }
        }
        float[] lanes = scratch.lanes;
        t0.intoArray(lanes, 0);
        t1.intoArray(lanes, L);
        t2.intoArray(lanes, 2 * L);
        t3.intoArray(lanes, 3 * L);
        for (int m = 0; m < MT && m0 + m < M; m++)
            y[yOff + (m0 + m) * N + r] = finish(lanes, m * L, x, xOff + (m0 + m) * K, w, r);
    }

    /**
     * M > 1: y[m, r] and y[m, r2] for the x rows m0..m0+3 (those below M written): two W rows × 4 x rows, each x vector
     * loaded once for both rows. The widening is written out here, not called: C2 stops inlining our own small
     * methods once a graph passes NodeCountInliningCutoff (and then boxes their vectors), but not the Vector API's
     * force-inlined ones. The same sums as {@link #one}.
     */
    private static void tile2(float[] xs, float[] x, int xOff, int M, int m0, Int8Matrix w, int r, int r2, float[] y, int yOff,
                              Scratch scratch) {
        MemorySegment q = w.q();
        int N = w.rows(), K = w.cols(), K4 = K / 4, full = K / CHUNK * CHUNK, cpb = w.blockSize() / CHUNK;
        int X = 4 * K4, x0 = m0 * X, x1 = x0 + X, x2 = x1 + X, x3 = x2 + X; // the 4 split x rows
        long o = (long) r * K, o2 = (long) r2 * K;
        float[] s = w.scaleArray();
        int so = r * w.blocksPerRow(), so2 = r2 * w.blocksPerRow();
        FloatVector z = FloatVector.zero(S), t0 = z, t1 = z, t2 = z, t3 = z, u0 = z, u1 = z, u2 = z, u3 = z;
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, b0 = z, b1 = z, b2 = z, b3 = z, wv, wu, e;
        for (int c = 0, b = 0, k = 0; c < full; c += CHUNK) {
            IntVector v = IntVector.fromMemorySegment(I, q, o + c, ByteOrder.LITTLE_ENDIAN);
            IntVector u = IntVector.fromMemorySegment(I, q, o2 + c, ByteOrder.LITTLE_ENDIAN);
            int j = c / 4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 24).convert(VectorOperators.I2F, 0); // byte 0
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 24).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            e = FloatVector.fromArray(S, xs, x2 + j);
            a2 = wv.fma(e, a2);
            b2 = wu.fma(e, b2);
            e = FloatVector.fromArray(S, xs, x3 + j);
            a3 = wv.fma(e, a3);
            b3 = wu.fma(e, b3);
            j += K4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 16).and(TOP).convert(VectorOperators.I2F, 0); // byte 1
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 16).and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            e = FloatVector.fromArray(S, xs, x2 + j);
            a2 = wv.fma(e, a2);
            b2 = wu.fma(e, b2);
            e = FloatVector.fromArray(S, xs, x3 + j);
            a3 = wv.fma(e, a3);
            b3 = wu.fma(e, b3);
            j += K4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 8).and(TOP).convert(VectorOperators.I2F, 0); // byte 2
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 8).and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            e = FloatVector.fromArray(S, xs, x2 + j);
            a2 = wv.fma(e, a2);
            b2 = wu.fma(e, b2);
            e = FloatVector.fromArray(S, xs, x3 + j);
            a3 = wv.fma(e, a3);
            b3 = wu.fma(e, b3);
            j += K4;
            wv = (FloatVector) v.and(TOP).convert(VectorOperators.I2F, 0); // byte 3
            wu = (FloatVector) u.and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            e = FloatVector.fromArray(S, xs, x2 + j);
            a2 = wv.fma(e, a2);
            b2 = wu.fma(e, b2);
            e = FloatVector.fromArray(S, xs, x3 + j);
            a3 = wv.fma(e, a3);
            b3 = wu.fma(e, b3);
            if (++k == cpb || c + CHUNK == full) {
                FloatVector sa = FloatVector.broadcast(S, s[so + b]), sb = FloatVector.broadcast(S, s[so2 + b]);
                t0 = a0.fma(sa, t0);
                t1 = a1.fma(sa, t1);
                t2 = a2.fma(sa, t2);
                t3 = a3.fma(sa, t3);
                u0 = b0.fma(sb, u0);
                u1 = b1.fma(sb, u1);
                u2 = b2.fma(sb, u2);
                u3 = b3.fma(sb, u3);
                a0 = z;
                a1 = z;
                a2 = z;
                a3 = z;
                b0 = z;
                b1 = z;
                b2 = z;
                b3 = z;
                k = 0;
                b++;
            }
        }
        float[] lanes = scratch.lanes; // t0..t3 (row r), then u0..u3 (row r2)
        t0.intoArray(lanes, 0);
        t1.intoArray(lanes, L);
        t2.intoArray(lanes, 2 * L);
        t3.intoArray(lanes, 3 * L);
        u0.intoArray(lanes, 4 * L);
        u1.intoArray(lanes, 5 * L);
        u2.intoArray(lanes, 6 * L);
        u3.intoArray(lanes, 7 * L);
        float[] sums = scratch.sums;
        for (int m = 0; m < MT && m0 + m < M; m++) {
            int xo = xOff + (m0 + m) * K, yo = yOff + (m0 + m) * N;
            VecMath.sumLanes2(lanes, m * L, (MT + m) * L, sums, 0);
            y[yo + r] = finish(sums[0], x, xo, w, r);
            y[yo + r2] = finish(sums[1], x, xo, w, r2);
        }
    }

    /**
     * M > 1: y[m, r] and y[m, r2] for the x rows m0 and m0 + 1 (two left after the 4-row tiles): 2 W rows × 2 x rows,
     * written out as {@link #tile2} is. The same sums as {@link #one}.
     */
    private static void tile2x2(float[] xs, float[] x, int xOff, int m0, Int8Matrix w, int r, int r2, float[] y, int yOff,
                                Scratch scratch) {
        MemorySegment q = w.q();
        int N = w.rows(), K = w.cols(), K4 = K / 4, full = K / CHUNK * CHUNK, cpb = w.blockSize() / CHUNK;
        int X = 4 * K4, x0 = m0 * X, x1 = x0 + X; // the 2 split x rows
        long o = (long) r * K, o2 = (long) r2 * K;
        float[] s = w.scaleArray();
        int so = r * w.blocksPerRow(), so2 = r2 * w.blocksPerRow();
        FloatVector z = FloatVector.zero(S), t0 = z, t1 = z, u0 = z, u1 = z, a0 = z, a1 = z, b0 = z, b1 = z, wv, wu, e;
        for (int c = 0, b = 0, k = 0; c < full; c += CHUNK) {
            IntVector v = IntVector.fromMemorySegment(I, q, o + c, ByteOrder.LITTLE_ENDIAN);
            IntVector u = IntVector.fromMemorySegment(I, q, o2 + c, ByteOrder.LITTLE_ENDIAN);
            int j = c / 4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 24).convert(VectorOperators.I2F, 0); // byte 0
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 24).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            j += K4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 16).and(TOP).convert(VectorOperators.I2F, 0); // byte 1
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 16).and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            j += K4;
            wv = (FloatVector) v.lanewise(VectorOperators.LSHL, 8).and(TOP).convert(VectorOperators.I2F, 0); // byte 2
            wu = (FloatVector) u.lanewise(VectorOperators.LSHL, 8).and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            j += K4;
            wv = (FloatVector) v.and(TOP).convert(VectorOperators.I2F, 0); // byte 3
            wu = (FloatVector) u.and(TOP).convert(VectorOperators.I2F, 0);
            e = FloatVector.fromArray(S, xs, x0 + j);
            a0 = wv.fma(e, a0);
            b0 = wu.fma(e, b0);
            e = FloatVector.fromArray(S, xs, x1 + j);
            a1 = wv.fma(e, a1);
            b1 = wu.fma(e, b1);
            if (++k == cpb || c + CHUNK == full) {
                FloatVector sa = FloatVector.broadcast(S, s[so + b]), sb = FloatVector.broadcast(S, s[so2 + b]);
                t0 = a0.fma(sa, t0);
                t1 = a1.fma(sa, t1);
                u0 = b0.fma(sb, u0);
                u1 = b1.fma(sb, u1);
                a0 = z;
                a1 = z;
                b0 = z;
                b1 = z;
                k = 0;
                b++;
            }
        }
        float[] lanes = scratch.lanes; // t0 t1 (row r), u0 u1 (row r2)
        t0.intoArray(lanes, 0);
        t1.intoArray(lanes, L);
        u0.intoArray(lanes, 2 * L);
        u1.intoArray(lanes, 3 * L);
        float[] sums = scratch.sums;
        for (int m = 0; m < 2; m++) {
            int xo = xOff + (m0 + m) * K, yo = yOff + (m0 + m) * N;
            VecMath.sumLanes2(lanes, m * L, (2 + m) * L, sums, 0);
            y[yo + r] = finish(sums[0], x, xo, w, r);
            y[yo + r2] = finish(sums[1], x, xo, w, r2);
        }
    }

    /** per-thread buffer of a row range: summed lanes */
    private static final class Scratch {
        final float[] lanes = new float[8 * L];
        /** lane sums of two rows ({@link VecMath#sumLanes2}) */
        final float[] sums = new float[2];
    }

    // byte i of each lane moved to the top (the rest cleared) = q·2^24 as an int, converted exactly to fp32
    // (four small methods, not one with a parameter: each stays under C2's inlining size, so no vector is boxed)

    private static FloatVector w0(IntVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHL, 24).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector w1(IntVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHL, 16).and(TOP).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector w2(IntVector v) {
        return (FloatVector) v.lanewise(VectorOperators.LSHL, 8).and(TOP).convert(VectorOperators.I2F, 0);
    }

    private static FloatVector w3(IntVector v) {
        return (FloatVector) v.and(TOP).convert(VectorOperators.I2F, 0);
    }

    /** y for the W row r and the x row at x[xo..]: the accumulated lanes at lanes[off..] unscaled, plus the tail columns */
    private static float finish(float[] lanes, int off, float[] x, int xo, Int8Matrix w, int r) {
        return finish(VecMath.sumLanes(lanes, off), x, xo, w, r);
    }

    /** {@link #finish(float[], int, float[], int, Int8Matrix, int)} with the lanes already summed ({@link VecMath#sumLanes}) */
    private static float finish(float lanesSum, float[] x, int xo, Int8Matrix w, int r) {
        int K = w.cols(), full = K / CHUNK * CHUNK;
        float sum = lanesSum * UNSCALE;
        if (full == K) return sum;
        MemorySegment q = w.q();
        long o = (long) r * K;
        float s = 0f;
        for (int c = full; c < K; c++) s += x[xo + c] * q.get(ValueLayout.JAVA_BYTE, o + c);
        return sum + s * w.scale(r, w.blocksPerRow() - 1);
    }

    private static IntVector load(MemorySegment q, long at) {
        return IntVector.fromMemorySegment(I, q, at, ByteOrder.LITTLE_ENDIAN);
    }
}
