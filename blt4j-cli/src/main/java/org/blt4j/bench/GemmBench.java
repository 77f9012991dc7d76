package org.blt4j.bench;

import java.io.PrintStream;
import java.util.SplittableRandom;
import jdk.incubator.vector.VectorSpecies;
import org.blt4j.tensor.Gemm;
import org.blt4j.tensor.Parallel;

/**
 * GEMM throughput against the machine's measured fp32 FMA peak, on 1 thread and on all kernel threads.
 * Peak: a Vector API loop of 12 independent FMA chains per thread. GEMM: 2·M·N·K / time, best of several
 * repetitions after warm-up (best-of, as other processes may share the cores). Runs in about 15 s.
 */
public final class GemmBench {
    private GemmBench() {}

    private static final VectorSpecies<Float> S = org.blt4j.tensor.VectorWidth.FLOAT; // the kernels' width

    /** A benchmarked shape: y[M,N] = x[M,K] · W[N,K]ᵀ. */
    private record Shape(String name, int M, int N, int K) {}

    private static final Shape[] SHAPES = {
            new Shape("linear x·Wᵀ", 4096, 1536, 512),
            new Shape("linear x·Wᵀ", 4096, 260, 512),
            new Shape("decode W·x", 1, 5632, 2048),
    };

    public static void main(String[] args) {
        run(System.out);
    }

    public static void run(PrintStream out) {
        int all = Parallel.poolSize();
        int[] counts = all > 1 ? new int[] {1, all} : new int[] {1};
        out.printf("blt4j GEMM bench: %s, %d-bit vectors (%d lanes), %d kernel threads%n",
                System.getProperty("java.vm.version"), S.vectorBitSize(), S.length(), all);
        // the peak is measured before and after the GEMMs and the higher value kept: other processes may share the
        // cores for a while, and a low peak would flatter the percentages
        double[] peak = new double[counts.length];
        for (int c = 0; c < counts.length; c++) peak[c] = fmaPeak(counts[c]);
        double[][] sec = new double[SHAPES.length][counts.length];
        for (int i = 0; i < SHAPES.length; i++)
            for (int c = 0; c < counts.length; c++) sec[i][c] = gemmSeconds(SHAPES[i], counts[c]);
        for (int c = 0; c < counts.length; c++) peak[c] = Math.max(peak[c], fmaPeak(counts[c]));
        out.printf("fp32 FMA peak (measured, best of before/after): %s%n%n", peakLine(counts, peak));
        out.printf("%-14s %6s %6s %6s %8s %10s %10s %8s%n", "case", "M", "N", "K", "threads", "ms", "GFLOP/s", "% peak");
        for (int i = 0; i < SHAPES.length; i++) {
            Shape s = SHAPES[i];
            for (int c = 0; c < counts.length; c++) {
                double gflops = 2.0 * s.M() * s.N() * s.K() / sec[i][c] / 1e9;
                out.printf("%-14s %6d %6d %6d %8d %10.3f %10.1f %7.1f%%%n", s.name(), s.M(), s.N(), s.K(), counts[c],
                        sec[i][c] * 1e3, gflops, 100 * gflops / peak[c]);
            }
        }
        Shape d = SHAPES[SHAPES.length - 1];
        StringBuilder bw = new StringBuilder();
        for (int c = 0; c < counts.length; c++)
            bw.append(String.format("%s%.1f GB/s on %d thread%s", c == 0 ? "" : ", ",
                    4.0 * d.N() * d.K() / sec[SHAPES.length - 1][c] / 1e9, counts[c], counts[c] == 1 ? "" : "s"));
        out.printf("%ndecode is bandwidth-bound: W (%.1f MB fp32) streamed at %s%n", 4.0 * d.N() * d.K() / 1e6, bw);
        out.flush();
    }

    private static String peakLine(int[] counts, double[] peak) {
        StringBuilder b = new StringBuilder();
        for (int c = 0; c < counts.length; c++)
            b.append(c == 0 ? "" : ", ").append(String.format("%.1f GFLOP/s on %d thread%s", peak[c], counts[c],
                    counts[c] == 1 ? "" : "s"));
        return b.toString();
    }

    // ---------------------------------------------------------------- peak

    /** The fp32 FMA peak on `threads` threads, GFLOP/s ({@link org.blt4j.tensor.FmaPeak}). */
    static double fmaPeak(int threads) {
        return org.blt4j.tensor.FmaPeak.gflops(threads);
    }

    // ---------------------------------------------------------------- gemm

    /** Best time in seconds of y = x·Wᵀ on `threads` threads: warm-up, then repetitions for about a second. */
    static double gemmSeconds(Shape s, int threads) {
        SplittableRandom rnd = new SplittableRandom(42);
        float[] x = random(rnd, s.M() * s.K()), W = random(rnd, s.N() * s.K()), y = new float[s.M() * s.N()];
        return Parallel.withThreads(threads, () -> {
            repeat(x, W, y, s, 3, 0.3); // warm-up: JIT, caches, pool threads
            return repeat(x, W, y, s, 5, 1.2);
        });
    }

    /** Runs the GEMM at least minReps times and until budget seconds have passed; returns the best time. */
    private static double repeat(float[] x, float[] W, float[] y, Shape s, int minReps, double budget) {
        double best = Double.MAX_VALUE;
        long start = System.nanoTime();
        for (int r = 0; r < minReps || (System.nanoTime() - start) * 1e-9 < budget; r++) {
            long t0 = System.nanoTime();
            Gemm.linear(x, 0, s.M(), s.K(), W, 0, s.N(), y, 0);
            best = Math.min(best, (System.nanoTime() - t0) * 1e-9);
        }
        return best;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
        return a;
    }
}
