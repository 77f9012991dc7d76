package org.blt4j.tensor;

import java.util.Arrays;
import java.util.concurrent.CyclicBarrier;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The machine's fp32 FMA peak, measured: a Vector API loop of 12 independent FMA chains per thread at the kernels'
 * vector width, best of several runs (about a second on all threads). What {@code bench gemm}, {@code bench train}
 * and {@code bench entropy} divide by; other processes sharing the cores lower it, so benches measure it in the same
 * run as what they compare with it.
 */
public final class FmaPeak {
    private FmaPeak() {}

    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;


    private static final int FMA_ITERS = 10_000_000;

    /**
     * Best of several runs of {@link #fmaLoop} on `threads` threads at once, in GFLOP/s. The clock is read by the
     * workers themselves (first start to last end): a parked main thread can wake milliseconds late on a busy machine.
     */
    public static double gflops(int threads) {
        for (int w = 0; w < 5; w++) fmaLoop(FMA_ITERS / 4); // warm-up (JIT)
        double best = 0;
        for (int rep = 0; rep < 15; rep++) {
            CyclicBarrier start = new CyclicBarrier(threads);
            long[] t0 = new long[threads], t1 = new long[threads];
            float[] sink = new float[threads];
            Thread[] ts = new Thread[threads];
            for (int t = 0; t < threads; t++) {
                int id = t;
                ts[t] = Thread.ofPlatform().daemon().start(() -> {
                    await(start);
                    t0[id] = System.nanoTime();
                    sink[id] = fmaLoop(FMA_ITERS);
                    t1[id] = System.nanoTime();
                });
            }
            for (Thread t : ts) join(t);
            double sec = (Arrays.stream(t1).max().orElseThrow() - Arrays.stream(t0).min().orElseThrow()) * 1e-9;
            best = Math.max(best, threads * (double) FMA_ITERS * 12 * 2 * S.length() / sec / 1e9);
        }
        return best;
    }

    /** 12 independent chains acc += m·a (accumulator as the addend, like a GEMM tile); converges, no denormals. */
    private static float fmaLoop(int iters) {
        FloatVector m = FloatVector.broadcast(S, 1e-3f), a = FloatVector.broadcast(S, 1e-4f);
        // distinct start values, or the JIT merges identical chains into one
        FloatVector c0 = FloatVector.broadcast(S, 0f), c1 = c0.add(1f), c2 = c0.add(2f), c3 = c0.add(3f),
                c4 = c0.add(4f), c5 = c0.add(5f), c6 = c0.add(6f), c7 = c0.add(7f), c8 = c0.add(8f), c9 = c0.add(9f),
                c10 = c0.add(10f), c11 = c0.add(11f);
        for (int i = 0; i < iters; i++) {
            c0 = m.fma(a, c0);
            c1 = m.fma(a, c1);
            c2 = m.fma(a, c2);
            c3 = m.fma(a, c3);
            c4 = m.fma(a, c4);
            c5 = m.fma(a, c5);
            c6 = m.fma(a, c6);
            c7 = m.fma(a, c7);
            c8 = m.fma(a, c8);
            c9 = m.fma(a, c9);
            c10 = m.fma(a, c10);
            c11 = m.fma(a, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(VectorOperators.ADD);
    }

    /** The peak on all kernel threads ({@link Parallel#poolSize()}), GFLOP/s. */
    public static double gflops() {
        return gflops(Parallel.poolSize());
    }

    private static void await(CyclicBarrier b) {
        try {
            b.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
