package org.blt4j.tensor;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the thread-time spent in GEMM (outermost calls only), for benchmarks that report which share of a job is
 * matrix multiplication. Off unless {@link #enable} was called; then each top-level {@link Gemm#sgemm} costs two
 * nanoTime reads.
 */
public final class GemmTimer {
    private GemmTimer() {}

    static volatile boolean enabled;
    private static final LongAdder NANOS = new LongAdder();
    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);

    public static void enable(boolean on) {
        enabled = on;
    }

    public static void reset() {
        NANOS.reset();
    }

    /** Seconds of thread-time in GEMM since the last reset (threads running GEMMs at once each count). */
    public static double seconds() {
        return NANOS.sum() / 1e9;
    }

    /** Called around a GEMM: returns the start time, or -1 when not timed (disabled or nested). */
    static long start() {
        if (!enabled) return -1;
        int[] d = DEPTH.get();
        return d[0]++ == 0 ? System.nanoTime() : -2;
    }

    static void stop(long start) {
        if (start == -1) return;
        DEPTH.get()[0]--;
        if (start >= 0) NANOS.add(System.nanoTime() - start);
    }
}
