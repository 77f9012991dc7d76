package org.blt4j.tensor;

import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the forward FLOPs a model actually runs, to check eval.Flops against: 2·M·N·K per linear-layer product
 * (nn.Linear's forward) and 4·hd per head and visible key in attention (what the mask lets a query see, as
 * eval.Flops counts it; the kernel also computes and drops masked entries inside a block's key range). Backward
 * products are not counted. Off unless {@link #enable} was called; then each product costs one add.
 */
public final class FlopCounter {
    private FlopCounter() {}

    private static volatile boolean enabled;
    private static final LongAdder MATMUL = new LongAdder(), ATTENTION = new LongAdder();

    public static void enable(boolean on) {
        enabled = on;
    }

    public static void reset() {
        MATMUL.reset();
        ATTENTION.reset();
    }

    /** FLOPs of linear-layer products since the last reset. */
    public static long matmul() {
        return MATMUL.sum();
    }

    /** FLOPs of attention (QKᵀ and PV over visible keys) since the last reset. */
    public static long attention() {
        return ATTENTION.sum();
    }

    /** A product y[M, N] = x[M, K] · Wᵀ. */
    public static void linear(int M, int N, int K) {
        if (enabled) MATMUL.add(2L * M * N * K);
    }

    static void attention(long flops) {
        if (enabled) ATTENTION.add(flops);
    }
}
