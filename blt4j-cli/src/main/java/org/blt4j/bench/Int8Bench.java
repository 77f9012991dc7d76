package org.blt4j.bench;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.blt4j.io.DType;
import org.blt4j.tensor.Bf16Gemm;
import org.blt4j.tensor.Int8Gemm;
import org.blt4j.tensor.Int8Matrix;
import org.blt4j.tensor.Parallel;

/**
 * int8 against bf16 products y[M, N] = x[M, K] · Wᵀ at the blt-1b shapes (local dim 1024, FFN 2816; global dim 2048,
 * FFN 5632) for M = 1 (decode) and small M (continuous batching), weights memory-mapped from files in a temporary
 * folder. Each shape is a stack of layers (copies of one random matrix) larger than the caches, read in turn, so the
 * figure is a streaming one. Reported per shape and M: GB/s of weight bytes (int8: q + scales; bf16: 2 bytes a weight),
 * int8's share of the memory bandwidth measured here, and the speed-up of a product (bf16 time / int8 time), which is
 * the decode speed-up where decode time is the weights' read time.
 */
public final class Int8Bench {
    private Int8Bench() {}

    /** (N, K) of the blt-1b linear layers: local wq/wk/wv/wo, w1/w3, w2; global the same at dim 2048 */
    static final int[][] SHAPES = {{1024, 1024}, {2816, 1024}, {1024, 2816}, {2048, 2048}, {5632, 2048}, {2048, 5632}};

    /** What to run: seconds per timing, the M values, MiB of bf16 weights per shape (the int8 stack is about half). */
    public record Options(double seconds, List<Integer> ms, int mib, boolean bandwidth, Path tmp) {}

    public static void run(PrintStream out, Options o) {
        Path dir = TempDirs.create(o.tmp(), "blt4j-int8-bench");
        try (Arena arena = Arena.ofShared()) {
            double bw = 0;
            if (o.bandwidth()) {
                bw = new Blt1bBench.Bandwidth().measure();
                System.gc();
            }
            out.printf("int8 vs bf16 products, weights mapped, %d threads, block %d, bandwidth %s%n", Parallel.threads(), Int8Matrix.DEFAULT_BLOCK,
                    bw > 0 ? String.format("%.1f GB/s (summing a 1 GiB array as 1 and as 2 streams per thread, best of %d)", bw / 1e9, Blt1bBench.Bandwidth.PASSES) : "not measured");
            out.printf("%5s %5s %3s %7s | %9s %9s | %6s %8s%n", "N", "K", "M", "layers", "int8 GB/s", "bf16 GB/s", "× bf16", "int8/bw");
            boolean warm = false;
            for (int[] s : SHAPES) {
                int N = s[0], K = s[1];
                Stack st = stack(dir, arena, N, K, Math.max(2, (int) ((long) o.mib() << 20) / (2 * N * K)));
                for (int M : o.ms()) {
                    Random rnd = new Random(M);
                    float[] x = new float[M * K], y = new float[M * N];
                    for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
                    Runnable i8 = () -> {
                        for (Int8Matrix w : st.int8) Int8Gemm.linear(x, 0, M, w, y, 0);
                    };
                    Runnable b16 = () -> {
                        for (MemorySegment w : st.bf16) Bf16Gemm.linear(x, 0, M, K, w, N, y, 0);
                    };
                    if (!warm) { // C2 compiles both kernels before the first timing
                        time(i8, 3 * o.seconds());
                        time(b16, 3 * o.seconds());
                        warm = true;
                    }
                    double ti = time(i8, o.seconds()) / st.layers(), tb = time(b16, o.seconds()) / st.layers();
                    double gi = st.int8[0].bytes() / ti / 1e9, gb = 2.0 * N * K / tb / 1e9;
                    out.printf("%5d %5d %3d %7d | %9.1f %9.1f | %6.2f %8s%n", N, K, M, st.layers(), gi, gb, tb / ti,
                            bw > 0 ? String.format("%.0f%%", 100 * gi * 1e9 / bw) : "-");
                }
            }
        } finally {
            TempDirs.delete(dir);
        }
    }

    /** layers copies of one random W [N, K], as a bf16 file and an int8 file (q then scales per layer), mapped */
    private record Stack(Int8Matrix[] int8, MemorySegment[] bf16) {
        int layers() {
            return int8.length;
        }
    }

    private static Stack stack(Path dir, Arena arena, int N, int K, int layers) {
        Random rnd = new Random(31L * N + K);
        float[] w = new float[N * K];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian() * 0.02f;
        Int8Matrix q = Int8Matrix.quantize(w, N, K);
        byte[] bf = new byte[2 * N * K];
        MemorySegment bs = MemorySegment.ofArray(bf);
        ValueLayout.OfShort i16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < w.length; i++) bs.set(i16, 2L * i, DType.floatToBf16(w[i]));
        byte[] qb = q.q().toArray(ValueLayout.JAVA_BYTE), sb = q.scales().toArray(ValueLayout.JAVA_BYTE);
        Path fi = dir.resolve(N + "x" + K + ".int8"), fb = dir.resolve(N + "x" + K + ".bf16");
        try {
            try (OutputStream a = Files.newOutputStream(fi); OutputStream b = Files.newOutputStream(fb)) {
                for (int l = 0; l < layers; l++) {
                    a.write(qb);
                    a.write(sb);
                    b.write(bf);
                }
            }
            MemorySegment mi = map(fi, arena), mb = map(fb, arena);
            Int8Matrix[] i8 = new Int8Matrix[layers];
            MemorySegment[] b16 = new MemorySegment[layers];
            long per = qb.length + sb.length;
            for (int l = 0; l < layers; l++) {
                i8[l] = Int8Matrix.mapped(mi.asSlice(l * per, qb.length), mi.asSlice(l * per + qb.length, sb.length), N, K, q.blockSize());
                b16[l] = mb.asSlice((long) l * bf.length, bf.length);
            }
            return new Stack(i8, b16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static MemorySegment map(Path f, Arena arena) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            return ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
        }
    }

    /** seconds per call, median of 5 timed batches */
    private static double time(Runnable r, double seconds) {
        long t0 = System.nanoTime();
        int calls = 0;
        while (System.nanoTime() - t0 < seconds * 1e9 / 5 || calls < 3) {
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
