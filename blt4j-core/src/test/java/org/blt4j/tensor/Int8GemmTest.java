package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** y = x Wᵀ with int8 W against a naive twin: dequantize, then plain loops in double. */
@Tag("widths") // again at 256-bit vectors where 512 is preferred
class Int8GemmTest {
    /**
     * The naive twin, scalar loops over the layout itself: y[m, n] = Σ_blocks scale[n, b] · Σ_{k in b} x[m, k] · q[n, k]
     * in double, with Σ |x · q · scale| per element in sumAbs (the tolerance scales with it).
     */
    private static double[] naive(float[] x, int xOff, int M, Int8Matrix w, double[] sumAbs) {
        int N = w.rows(), K = w.cols(), B = w.blockSize();
        double[] y = new double[M * N];
        for (int m = 0; m < M; m++)
            for (int n = 0; n < N; n++) {
                double s = 0, a = 0;
                for (int b = 0; b < w.blocksPerRow(); b++) {
                    double bs = 0, ba = 0;
                    for (int k = b * B; k < Math.min(K, b * B + B); k++) {
                        double p = (double) x[xOff + m * K + k] * w.code(n, k);
                        bs += p;
                        ba += Math.abs(p);
                    }
                    s += bs * w.scale(n, b);
                    a += ba * w.scale(n, b);
                }
                y[m * N + n] = s;
                sumAbs[m * N + n] = a;
            }
        return y;
    }

    private static Int8Matrix random(int N, int K, int B, Random rnd) {
        float[] w = new float[N * K];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.05f;
        return Int8Matrix.quantize(w, N, K, B);
    }

    /** the same matrix in native segments, as a mapped checkpoint gives it */
    private static Int8Matrix offHeap(Int8Matrix h, Arena arena) {
        MemorySegment q = arena.allocate(h.q().byteSize()), s = arena.allocate(h.scales().byteSize());
        q.copyFrom(h.q());
        s.copyFrom(h.scales());
        return Int8Matrix.mapped(q, s, h.rows(), h.cols(), h.blockSize());
    }

    private static void check(int M, Int8Matrix w, int threads, Random rnd, String what) {
        int N = w.rows(), K = w.cols();
        float[] x = new float[M * K + 3];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        double[] sumAbs = new double[M * N];
        double[] want = naive(x, 3, M, w, sumAbs);
        float[] got = new float[M * N + 5];
        Parallel.withThreads(threads, () -> Int8Gemm.linear(x, 3, M, w, got, 5));
        for (int i = 0; i < M * N; i++)
            assertEquals(want[i], got[5 + i], 1e-5 * sumAbs[i] + 1e-30,
                    what + ": M " + M + " N " + N + " K " + K + " B " + w.blockSize() + " threads " + threads + " at " + i);
    }

    /** (N, K, B): K a multiple of the block or not, of the lanes or not; N odd, even, 1; blocks of the fast path and others */
    private static final int[][] SHAPES = {{1, 64, 64}, {5, 197, 64}, {9, 128, 64}, {33, 300, 128}, {4, 70, 64}, {2, 1000, 64},
            {7, 100, 32}, {3, 150, 3}, {6, 96, 48}};

    @Test
    void agreesWithTheNaiveTwin() {
        Random rnd = new Random(1);
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from pool threads
            for (int[] s : SHAPES) {
                Int8Matrix heap = random(s[0], s[1], s[2], rnd), mapped = offHeap(heap, arena);
                for (int M = 1; M <= 17; M++) {
                    check(M, heap, 1 + M % 2, rnd, "heap");
                    check(M, mapped, 2 - M % 2, rnd, "mapped");
                }
            }
            // large enough to run on 2 threads: ranges split unevenly, a short last block
            Int8Matrix big = random(131, 2100, 64, rnd);
            for (int M : new int[] {1, 2, 9}) {
                check(M, big, 2, rnd, "heap");
                check(M, offHeap(big, arena), 2, rnd, "mapped");
            }
            // a prompt: dequantized blocks through the fp32 GEMM (several blocks, K with a vector tail and a short block)
            Int8Matrix prompt = random(300, 1000, 64, rnd);
            for (int M : new int[] {Int8Gemm.WIDEN_MIN_M, 40}) {
                check(M, prompt, 2, rnd, "heap");
                check(M, offHeap(prompt, arena), 1, rnd, "mapped");
            }
        }
    }

    @Test
    void batchedRowsEqualRowsAlone() {
        Random rnd = new Random(7);
        try (Arena arena = Arena.ofShared()) { // shared: the kernel reads it from pool threads
            for (int[] s : new int[][] {{37, 333, 64}, {70, 640, 128}, {21, 333, 32}}) {
                int N = s[0], K = s[1], M = Int8Gemm.WIDEN_MIN_M - 1; // from WIDEN_MIN_M on, a prompt's GEMM
                Int8Matrix heap = random(N, K, s[2], rnd), mapped = offHeap(heap, arena);
                float[] x = new float[M * K];
                for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                for (Int8Matrix w : new Int8Matrix[] {heap, mapped}) {
                    float[] one = new float[M * N];
                    for (int m = 0; m < M; m++) {
                        int mm = m;
                        Parallel.withThreads(1 + m % 2, () -> Int8Gemm.linear(x, mm * K, 1, w, one, mm * N));
                    }
                    for (int rows = 2; rows <= M; rows++) // the first `rows` x rows batched, on 1 and 2 threads
                        for (int threads = 1; threads <= 2; threads++) {
                            int r = rows;
                            float[] all = new float[r * N];
                            Parallel.withThreads(threads, () -> Int8Gemm.linear(x, 0, r, w, all, 0));
                            assertArrayEquals(java.util.Arrays.copyOf(one, r * N), all, "N " + N + " K " + K + " B " + s[2] + " M " + r + " threads " + threads);
                        }
                }
            }
        }
    }

    @Test
    void zeroWeightsGiveZeroAndBadArgumentsAreRefused() {
        Int8Matrix z = Int8Matrix.quantize(new float[4 * 40], 4, 40, 32);
        float[] x = new float[2 * 40];
        java.util.Arrays.fill(x, 1f);
        float[] y = new float[8];
        java.util.Arrays.fill(y, 9f);
        Int8Gemm.linear(x, 0, 2, z, y, 0);
        assertArrayEquals(new float[8], y);
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 1, 2, z, y, 0)); // x too short from offset 1
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, 2, z, new float[7], 0));
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, -1, z, y, 0));
        assertThrows(Blt4jException.class, () -> Int8Gemm.linear(x, 0, 1, null, y, 0));
        Int8Gemm.linear(x, 0, 0, z, y, 0); // M = 0: nothing to do
        assertTrue(true);
    }

    @Test
    void linearManyEqualsEachWeightAlone() {
        int M = 3, K = 100;
        Random rnd = new Random(11);
        float[] x = new float[M * K + 2];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        int[] ns = {7, 33, 1};
        Int8Matrix[] w = new Int8Matrix[ns.length];
        float[][] y = new float[ns.length][];
        int[] yOff = new int[ns.length];
        for (int i = 0; i < ns.length; i++) {
            float[] wi = new float[ns[i] * K];
            for (int j = 0; j < wi.length; j++) wi[j] = (float) rnd.nextGaussian();
            w[i] = Int8Matrix.quantize(wi, ns[i], K, 32);
            yOff[i] = i;
            y[i] = new float[i + M * ns[i]];
        }
        for (int threads : new int[] {1, 2}) {
            Parallel.withThreads(threads, () -> Int8Gemm.linearMany(x, 2, M, w, y, yOff));
            for (int i = 0; i < ns.length; i++) {
                float[] alone = new float[i + M * ns[i]];
                Int8Gemm.linear(x, 2, M, w[i], alone, i);
                assertArrayEquals(alone, y[i], "weight " + i + ", " + threads + " threads");
            }
        }
        Int8Matrix other = Int8Matrix.quantize(new float[2 * 50], 2, 50, 32);
        assertThrows(Blt4jException.class, () -> Int8Gemm.linearMany(x, 0, 1, new Int8Matrix[] {w[0], other}, new float[][] {y[0], new float[2]}, new int[2]));
    }
}
