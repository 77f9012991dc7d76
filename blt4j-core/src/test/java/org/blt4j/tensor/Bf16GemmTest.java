package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;
import org.blt4j.io.DType;
import org.junit.jupiter.api.Test;

/** y = x Wᵀ with bf16 W in a segment against the fp32 GEMM on the same (widened) weights. */
class Bf16GemmTest {
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static void check(int M, int N, int K, long seed) {
        Random rnd = new Random(seed);
        float[] x = new float[M * K + 3], wf = new float[N * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment w = arena.allocate(2L * N * K + 1).asSlice(1, 2L * N * K); // unaligned on purpose
            for (int i = 0; i < N * K; i++) {
                short b = DType.floatToBf16((float) rnd.nextGaussian());
                w.set(I16, 2L * i, b);
                wf[i] = DType.bf16ToFloat(b);
            }
            float[] want = new float[M * N + 5], got = new float[M * N + 5];
            Gemm.linear(x, 3, M, K, wf, 0, N, want, 5);
            Bf16Gemm.linear(x, 3, M, K, w, N, got, 5);
            for (int i = 0; i < M * N; i++)
                assertEquals(want[5 + i], got[5 + i], 1e-4f * (1 + Math.abs(want[5 + i])), "M " + M + " N " + N + " K " + K + " at " + i);
        }
    }

    private static MemorySegment randomBf16(Arena arena, int n, Random rnd) {
        MemorySegment w = arena.allocate(2L * n);
        for (int i = 0; i < n; i++) w.set(I16, 2L * i, DType.floatToBf16((float) rnd.nextGaussian()));
        return w;
    }

    /** Rows computed in a batch (any M, one or two threads) have exactly the bits of each row computed alone. */
    @Test
    void batchedRowsEqualRowsAlone() {
        for (int K : new int[] {64, 100, 768}) { // a multiple of 4 vectors, single vectors and a tail, 768 as in blt-1b
            Random rnd = new Random(K);
            int N = 37, M = 5;
            float[] x = new float[M * K];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            try (Arena arena = Arena.ofShared()) {
                MemorySegment w = randomBf16(arena, N * K, rnd);
                float[] alone = new float[M * N];
                for (int m = 0; m < M; m++) Bf16Gemm.linear(x, m * K, 1, K, w, N, alone, m * N);
                for (int threads : new int[] {1, 2}) {
                    float[] batch = new float[M * N];
                    Parallel.withThreads(threads, () -> Bf16Gemm.linear(x, 0, M, K, w, N, batch, 0));
                    assertArrayEquals(alone, batch, "K " + K + ", " + threads + " threads");
                }
            }
        }
    }

    /** wq, wk, wv in one pass give what three products give. */
    @Test
    void linearManyEqualsOneProductEach() {
        Random rnd = new Random(11);
        int K = 256, M = 3;
        int[] N = {256, 64, 64};
        float[] x = new float[M * K];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment[] w = new MemorySegment[N.length];
            float[][] want = new float[N.length][], got = new float[N.length][];
            for (int i = 0; i < N.length; i++) {
                w[i] = randomBf16(arena, N[i] * K, rnd);
                want[i] = new float[M * N[i]];
                got[i] = new float[M * N[i] + 2];
                Bf16Gemm.linear(x, 0, M, K, w[i], N[i], want[i], 0);
            }
            Bf16Gemm.linearMany(x, 0, M, K, w, N, got, new int[] {2, 2, 2});
            for (int i = 0; i < N.length; i++)
                assertArrayEquals(want[i], java.util.Arrays.copyOfRange(got[i], 2, 2 + M * N[i]), "weight " + i);
        }
    }

    @Test
    void matchesFp32() {
        check(1, 1, 2, 1);
        check(1, 7, 6, 2);        // K tail only
        check(1, 33, 130, 3);     // N not a multiple of 4, K with a tail
        check(3, 64, 256, 4);     // several rows
        check(2, 260, 96, 5);
        check(1, 2048, 1024, 6);  // parallel split
        check(4, 300, 768, 7);    // pairs of x rows
        check(Bf16Gemm.WIDEN_MIN_M, 70, 130, 8);  // a prompt: widened blocks through the fp32 GEMM, K with a tail
        check(40, 1100, 256, 9);  // several widened blocks, the last one partial
    }
}
