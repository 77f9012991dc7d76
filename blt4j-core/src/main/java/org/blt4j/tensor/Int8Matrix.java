package org.blt4j.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import org.blt4j.Blt4jException;

/**
 * A weight matrix W [N out, K in] quantized to int8, symmetric, with one fp32 scale per block of B consecutive input
 * columns of a row (B = {@link #DEFAULT_BLOCK} unless chosen; when K % B != 0 the last block of each row is short).
 *
 * <p>Layout (also the safetensors layout: tensor {@code NAME} int8 [N, K], tensor {@code NAME.scales} f32
 * [N, ceil(K/B)]):
 * <ul>
 *   <li>{@code q} [N·K] row-major: q[n·K + k] is W[n, k] quantized;</li>
 *   <li>{@code scales} [N · ceil(K/B)] row-major: scales[n·ceil(K/B) + b] covers columns [b·B, min(K, (b+1)·B)).</li>
 * </ul>
 * Per block: scale = max|w| / 127 (fp32), q = round(w / scale) clamped to [-127, 127], so W[n, k] ≈ q · scale with an
 * error of at most scale / 2. A block whose max|w| is 0 (or so small that max|w| / 127 underflows to 0) has scale 0
 * and all q 0 (when max|w| is near Float.MAX_VALUE, scale is nudged down so that 127 · scale stays finite). -128 is
 * never produced. NaN and ±Inf weights are refused.
 *
 * <p>The data lives in two {@link MemorySegment}s: q (int8) and scales (fp32, little-endian), either on the heap (from
 * {@link #quantize} or the array constructor, which copies q) or mapped from a checkpoint file ({@link #mapped}). The
 * scales array and mapped segments are held, not copied: callers must not change them afterwards. The kernels read the
 * scales from a heap copy made at construction ({@link #scaleArray}: 4 bytes per B weights, 1/16 of the int8 bytes at
 * B = 64): a scalar read from a segment costs its bounds and liveness checks once per block, a read from an array does
 * not (measured on one Zen 5 core, the M = 1 kernel with W out of cache: about 1.15× faster).
 */
public final class Int8Matrix {
    /** the default block of input columns that share one scale (64: 4/64 = 1/16 byte of scale per weight) */
    public static final int DEFAULT_BLOCK = 64;
    /** how scales are stored: fp32, little-endian, any alignment */
    static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment q, scales;
    /** the scales on the heap, [N · ceil(K/B)] row-major (what the kernels read) */
    private final float[] scaleArray;
    private final int n, k, blockSize, blocksPerRow;

    /**
     * Quantized data from arrays (e.g. read from a checkpoint); checks the shapes and that every scale is finite and
     * ≥ 0. q is copied (into an int[]-backed segment, see {@link #intBacked}); scales is held.
     */
    public Int8Matrix(byte[] q, float[] scales, int n, int k, int blockSize) {
        this(q == null ? null : intBacked(q), scales == null ? null : leSegment(scales), n, k, blockSize, true);
    }

    private Int8Matrix(MemorySegment q, MemorySegment scales, int n, int k, int blockSize, boolean checkScales) {
        checkShape(n, k, blockSize);
        int bpr = blocks(k, blockSize);
        if (q == null || q.byteSize() != (long) n * k)
            throw new Blt4jException("int8 matrix [" + n + ", " + k + "]: q has " + (q == null ? "no" : q.byteSize()) + " bytes, needs " + (long) n * k
                    + " (int8 [N, K] row-major)");
        if (scales == null || scales.byteSize() != 4L * n * bpr)
            throw new Blt4jException("int8 matrix [" + n + ", " + k + "] with block " + blockSize + ": scales has "
                    + (scales == null ? "no" : scales.byteSize()) + " bytes, needs " + 4L * n * bpr + " (f32 [N, ceil(K/B)] = [" + n + ", " + bpr + "])");
        this.q = q;
        this.scales = scales;
        this.scaleArray = scales.toArray(F32_LE);
        this.n = n;
        this.k = k;
        this.blockSize = blockSize;
        this.blocksPerRow = bpr;
        if (checkScales) checkScales();
    }

    /**
     * Wraps quantized data in (mapped) segments: q int8 [n·k] row-major, scales f32 little-endian [n · ceil(k/block)].
     * Checks the sizes only (scanning a large mapped matrix costs a read of it): call {@link #checkScales()} to check
     * the scales too.
     */
    public static Int8Matrix mapped(MemorySegment q, MemorySegment scales, int n, int k, int block) {
        return new Int8Matrix(q, scales, n, k, block, false);
    }

    /** The largest scale whose weights q · scale (|q| ≤ 127) are all finite fp32 values. */
    static final float MAX_SCALE = maxScale();

    private static float maxScale() {
        float s = Float.MAX_VALUE / 127f;               // rounds up: 127 · s overflows
        while (!Float.isFinite(127f * s)) s = Math.nextDown(s);
        return s;
    }

    /**
     * Checks that every scale is in [0, {@link #MAX_SCALE}] (reads all of them): a larger one makes weights of ±127
     * infinite, and the products NaN; returns this.
     */
    public Int8Matrix checkScales() {
        long count = (long) n * blocksPerRow;
        for (long i = 0; i < count; i++) {
            float s = scaleArray[(int) i];
            if (!(s >= 0f && s <= MAX_SCALE))
                throw new Blt4jException("int8 matrix: scale " + i + " (row " + i / blocksPerRow + ", block " + i % blocksPerRow + ") is " + s
                        + ", must be in [0, " + MAX_SCALE + "] (finite weights q · scale for |q| <= 127; the scales tensor is"
                        + " corrupt or not this matrix's)");
        }
        return this;
    }

    /**
     * A copy of q in a segment over an int[]: C2 turns vector loads of int lanes from an int[] into plain vector
     * loads, but not from a byte[] (it falls back to Java code, ~100× slower).
     */
    private static MemorySegment intBacked(byte[] q) {
        MemorySegment s = MemorySegment.ofArray(new int[(q.length + 3) / 4]).asSlice(0, q.length);
        s.copyFrom(MemorySegment.ofArray(q));
        return s;
    }

    /** scales as a little-endian segment: the array itself where the machine is little-endian, else a copy */
    private static MemorySegment leSegment(float[] scales) {
        if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) return MemorySegment.ofArray(scales);
        MemorySegment s = MemorySegment.ofArray(new byte[4 * scales.length]);
        for (int i = 0; i < scales.length; i++) s.set(F32_LE, 4L * i, scales[i]);
        return s;
    }

    /** Quantizes w [n, k] (row-major) with {@link #DEFAULT_BLOCK} columns per scale. */
    public static Int8Matrix quantize(float[] w, int n, int k) {
        return quantize(w, n, k, DEFAULT_BLOCK);
    }

    /** Quantizes w [n, k] (row-major) with blockSize columns per scale; refuses NaN/Inf weights and bad shapes. */
    public static Int8Matrix quantize(float[] w, int n, int k, int blockSize) {
        checkShape(n, k, blockSize);
        if (w == null || w.length != (long) n * k)
            throw new Blt4jException("int8 quantize: weights [" + n + ", " + k + "] need " + (long) n * k + " values, got " + (w == null ? "none" : w.length));
        int bpr = blocks(k, blockSize);
        byte[] q = new byte[n * k];
        float[] scales = new float[n * bpr];
        for (int r = 0; r < n; r++) {
            for (int b = 0; b < bpr; b++) {
                int lo = r * k + b * blockSize, hi = r * k + Math.min(k, (b + 1) * blockSize);
                float max = 0f;
                for (int i = lo; i < hi; i++) {
                    float v = w[i];
                    if (!Float.isFinite(v))
                        throw new Blt4jException("int8 quantize: weight [" + r + ", " + (i - r * k) + "] is " + v + "; only finite weights can be quantized");
                    max = Math.max(max, Math.abs(v));
                }
                float scale = Math.min(max / 127f, MAX_SCALE); // max near Float.MAX_VALUE: 127·scale stays finite
                scales[r * bpr + b] = scale;
                if (scale == 0f) continue; // zero (or underflowing) block: q stays 0
                for (int i = lo; i < hi; i++) q[i] = (byte) Math.max(-127, Math.min(127, Math.round(w[i] / scale)));
            }
        }
        return new Int8Matrix(q, scales, n, k, blockSize);
    }

    /** W ≈ q · scale as fp32 [n, k], row-major. */
    public float[] dequantize() {
        float[] w = new float[n * k];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < k; c++) w[r * k + c] = code(r, c) * scale(r, c / blockSize);
        return w;
    }

    /** N, the output rows */
    public int rows() {
        return n;
    }

    /** K, the input columns */
    public int cols() {
        return k;
    }

    /** B, the input columns per scale */
    public int blockSize() {
        return blockSize;
    }

    /** ceil(K / B), the scales per row */
    public int blocksPerRow() {
        return blocksPerRow;
    }

    /** the quantized values int8 [N·K], row-major (the held segment, not a copy) */
    public MemorySegment q() {
        return q;
    }

    /** the scales f32 little-endian [N · ceil(K/B)], row-major (the held segment, not a copy) */
    public MemorySegment scales() {
        return scales;
    }

    /** q of W[row, col] */
    public byte code(int row, int col) {
        return q.get(ValueLayout.JAVA_BYTE, (long) row * k + col);
    }

    /** the scale of block b of a row (columns [b·B, min(K, (b+1)·B))) */
    public float scale(int row, int b) {
        return scaleArray[row * blocksPerRow + b];
    }

    /** the scales as floats on the heap, [N · ceil(K/B)] row-major: read it, do not change it */
    float[] scaleArray() {
        return scaleArray;
    }

    /** bytes of the quantized weights and their scales */
    public long bytes() {
        return q.byteSize() + scales.byteSize();
    }

    private static int blocks(int k, int blockSize) {
        return Math.ceilDiv(k, blockSize);
    }

    private static void checkShape(int n, int k, int blockSize) {
        if (n <= 0 || k <= 0) throw new Blt4jException("int8 matrix: shape [" + n + ", " + k + "] must be positive");
        if (blockSize <= 0) throw new Blt4jException("int8 matrix: block size " + blockSize + " must be positive");
        if ((long) n * k > Integer.MAX_VALUE - 8)
            throw new Blt4jException("int8 matrix: shape [" + n + ", " + k + "] has more than 2^31 elements");
    }
}
