package org.blt4j.bench;

import org.blt4j.tensor.Parallel;

/**
 * Model FLOPs utilization of a training run: the training FLOPs the accounting gives (org.blt4j.eval.Flops, 3 ×
 * forward, docs/flops.md) per byte, times the bytes trained per second, divided by the fp32 FMA peak measured here.
 * Model FLOPs count only what the model needs for the real bytes: padding, masked attention scores, norms and the
 * optimizer step are work the machine does that earns nothing.
 *
 * @param trainingFlopsPerByte training FLOPs per byte of text (3 × forward)
 * @param bytesPerSecond       bytes of text trained per second (measured)
 * @param peakGflops           fp32 FMA peak in GFLOP/s (measured, all threads)
 */
public record Mfu(double trainingFlopsPerByte, double bytesPerSecond, double peakGflops) {
    public Mfu {
        if (!(trainingFlopsPerByte > 0) || Double.isInfinite(trainingFlopsPerByte))
            throw new IllegalArgumentException("training FLOPs per byte must be positive and finite, got " + trainingFlopsPerByte);
        if (!(bytesPerSecond >= 0) || Double.isInfinite(bytesPerSecond))
            throw new IllegalArgumentException("bytes per second must be non-negative and finite, got " + bytesPerSecond);
        if (!(peakGflops > 0) || Double.isInfinite(peakGflops))
            throw new IllegalArgumentException("peak GFLOP/s must be positive and finite, got " + peakGflops);
    }

    /** Training GFLOP/s achieved: FLOPs per byte × bytes/s / 1e9. */
    public double achievedGflops() {
        return trainingFlopsPerByte * bytesPerSecond / 1e9;
    }

    /** achieved / peak, a fraction (0.05 = 5%). */
    public double utilization() {
        return achievedGflops() / peakGflops;
    }

    /** One line: the model's name, its context, training FLOPs per byte, achieved GFLOP/s, peak and MFU. */
    public String line(String name, int ctx) {
        return String.format("%-14s ctx %4d  %,12.0f training FLOPs/byte  %8.2f GFLOP/s achieved  of %7.1f peak  MFU %5.2f%%",
                name, ctx, trainingFlopsPerByte, achievedGflops(), peakGflops, 100 * utilization());
    }

    /** The fp32 FMA peak on all kernel threads, GFLOP/s: one short measurement (GemmBench's FMA loop). */
    public static double measurePeak() {
        return GemmBench.fmaPeak(Parallel.poolSize());
    }
}
