package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** {@link Ops#attention} against {@link NaiveKernels#attention}: masks, empty rows, GQA, Sq != Sk, thread counts. */
class AttentionTest {

    @Test
    void causal() {
        for (int hd : new int[] {1, 7, 33, 64})
            for (int threads = 1; threads <= 2; threads++)
                check(37, 37, 2, 2, hd, AttnMask.causal(), threads, "causal hd=" + hd);
    }

    /** Rows of 96 packed end to end (each causal in itself): blocks of 64 and 32 that never straddle two rows. */
    @Test
    void blocksStopAtRowsOfAPackedBatch() {
        int S = 4 * 96;
        int[] from = new int[S], to = new int[S];
        for (int i = 0; i < S; i++) {
            from[i] = i / 96 * 96;
            to[i] = i + 1;
        }
        org.junit.jupiter.api.Assertions.assertArrayEquals(new int[] {0, 64, 96, 160, 192, 256, 288, 352, 384},
                Attention.blockStarts(from, to, S, 64));
        check(S, S, 2, 1, 16, AttnMask.ranges(from, to), 2, "packed rows of 96");
        // bytes each seeing the 2 slots of their patch of 3: cut at a patch boundary once a block holds 32 queries
        int N = 200;
        int[] f = new int[N], t = new int[N];
        for (int i = 0; i < N; i++) {
            f[i] = i / 3 * 2;
            t[i] = f[i] + 2;
        }
        int[] starts = Attention.blockStarts(f, t, N, 64);
        for (int b = 0; b + 1 < starts.length; b++) {
            int len = starts[b + 1] - starts[b];
            if (len < 32 && b + 2 < starts.length || len > 64 || starts[b] % 3 != 0 && b > 0)
                fail("block " + b + " [" + starts[b] + ", " + starts[b + 1] + ")");
        }
        check(N, 2 * 67, 2, 2, 8, AttnMask.ranges(f, t), 2, "bytes to the slots of their patch");
    }

    @Test
    void causalLargeRunsInParallel() {
        check(300, 300, 4, 2, 64, AttnMask.causal(), 2, "causal large");
    }

    @Test
    void windowedBlockCausal() {
        // documents of lengths 5, 11, 1, 16: causal within each, and at most 6 keys back
        int[] docEnds = {5, 16, 17, 33};
        int S = 33;
        int[] from = new int[S], to = new int[S];
        for (int i = 0, d = 0, start = 0; i < S; i++) {
            while (i >= docEnds[d]) start = docEnds[d++];
            from[i] = Math.max(start, i - 5);
            to[i] = i + 1;
        }
        for (int threads = 1; threads <= 2; threads++)
            check(S, S, 4, 4, 16, AttnMask.ranges(from, to), threads, "windowed block-causal");
    }

    @Test
    void emptyAndClippedRangesGiveZerosOrClip() {
        int Sq = 9, Sk = 12;
        int[] from = {0, 3, 5, -4, 11, 20, 7, 0, 2};
        int[] to = {0, 3, 4, 2, 30, 25, 8, 12, 1};
        for (int threads = 1; threads <= 2; threads++)
            check(Sq, Sk, 4, 2, 33, AttnMask.ranges(from, to), threads, "empty rows");
    }

    @Test
    void groupedQueryAttentionCrossShapes() {
        // Sq != Sk both ways (cross-attention style: each query sees a patch of keys)
        for (int[] s : new int[][] {{7, 33}, {33, 7}, {1, 1000}}) {
            int Sq = s[0], Sk = s[1];
            int[] from = new int[Sq], to = new int[Sq];
            for (int i = 0; i < Sq; i++) {
                from[i] = (int) ((long) i * Sk / Sq);
                to[i] = Math.max(from[i] + 1, (int) ((long) (i + 2) * Sk / Sq));
            }
            for (int threads = 1; threads <= 2; threads++)
                check(Sq, Sk, 4, 2, 7, AttnMask.ranges(from, to), threads, "gqa Sq=" + Sq + " Sk=" + Sk);
        }
    }

    @Test
    void multiQueryOneKvHead() {
        check(20, 20, 4, 1, 8, AttnMask.causal(), 1, "mqa");
    }

    static void check(int Sq, int Sk, int nHeads, int nKv, int hd, AttnMask mask, int threads, String what) {
        SplittableRandom r = new SplittableRandom(Sq * 31L + Sk * 7L + hd);
        int qOff = 3, kOff = 5, vOff = 1, oOff = 2;
        float[] q = OpsTest.scaled(GemmTest.random(r, qOff + Sq * nHeads * hd), 3f);
        float[] k = OpsTest.scaled(GemmTest.random(r, kOff + Sk * nKv * hd), 3f);
        float[] v = GemmTest.random(r, vOff + Sk * nKv * hd);
        float[] ref = GemmTest.random(r, oOff + Sq * nHeads * hd + 4), got = ref.clone();
        NaiveKernels.attention(q, qOff, k, kOff, v, vOff, ref, oOff, Sq, Sk, nHeads, nKv, hd, mask);
        Parallel.withThreads(threads, () ->
                Ops.attention(q, qOff, k, kOff, v, vOff, got, oOff, Sq, Sk, nHeads, nKv, hd, mask));
        // outputs are convex combinations of rows of v (|v| <= 1): 1e-5 relative to that scale
        for (int i = 0; i < ref.length; i++)
            if (!(Math.abs(got[i] - ref[i]) <= 1e-5 * Math.max(1, Math.abs(ref[i]))))
                fail(what + " threads=" + threads + ": at " + i + " expected " + ref[i] + " got " + got[i]);
    }
}
