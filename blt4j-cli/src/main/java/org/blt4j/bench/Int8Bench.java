package org.blt4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.blt4j.io.DType;
import org.blt4j.tensor.Bf16Gemm;
import org.blt4j.tensor.Int8Gemm;
import org.blt4j.tensor.Int8Matrix;

/**
 * Decode mat-vec (M = 1) with int8 weights against bf16 weights at the same shape: GB/s of weight bytes read (int8:
 * q plus scales). Not a command yet; run with
 * {@code java --add-modules jdk.incubator.vector -cp blt4j-cli/target/blt4j.jar org.blt4j.bench.Int8Bench [N K [seconds]]}.
 */
public final class Int8Bench {
    private Int8Bench() {}

    public static void main(String[] args) {
        int N = args.length > 0 ? Integer.parseInt(args[0]) : 2048, K = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 2.0;
        Random rnd = new Random(1);
        float[] w = new float[N * K], x = new float[K], y = new float[N];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        for (int i = 0; i < K; i++) x[i] = (float) rnd.nextGaussian();
        Int8Matrix q = Int8Matrix.quantize(w, N, K);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment bf = arena.allocate(2L * N * K, 64);
            for (int i = 0; i < w.length; i++) bf.set(i16, 2L * i, DType.floatToBf16(w[i]));
            for (int round = 0; round < 2; round++) { // the first round warms up
                double i8 = time(() -> Int8Gemm.linear(x, 0, 1, q, y, 0), seconds);
                double b16 = time(() -> Bf16Gemm.linear(x, 0, 1, K, bf, N, y, 0), seconds);
                if (round == 1)
                    System.out.printf("mat-vec N %d K %d: int8 %.1f µs %.1f GB/s (%d bytes)  bf16 %.1f µs %.1f GB/s (%d bytes)  int8 %.2fx faster%n",
                            N, K, i8 * 1e6, q.bytes() / i8 / 1e9, q.bytes(), b16 * 1e6, 2.0 * N * K / b16 / 1e9, 2L * N * K, b16 / i8);
            }
        }
    }

    /** seconds per call, median of 5 timed batches */
    private static double time(Runnable r, double seconds) {
        long t0 = System.nanoTime();
        int calls = 0;
        while (System.nanoTime() - t0 < seconds * 1e9 / 5 || calls < 10) {
            r.run();
            calls++;
        }
        double[] per = new double[5];
        for (int b = 0; b < 5; b++) {
            long s = System.nanoTime();
            for (int c = 0; c < calls; c++) r.run();
            per[b] = (System.nanoTime() - s) / 1e9 / calls;
        }
        java.util.Arrays.sort(per);
        return per[2];
    }
}
