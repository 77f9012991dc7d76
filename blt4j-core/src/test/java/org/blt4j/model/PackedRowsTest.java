package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.nn.Fd;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;

/**
 * The BLT's packed batch ({@link ByteLatentTransformer#forwardBackwardRows}, every row of a batch in one sequence)
 * against the row-by-row sum of {@link ByteLatentTransformer#forwardBackward}, on random tiny models and batches:
 * EOS inside rows, padding masked out, trailing empty patches, rows of different lengths, cross-attention windows
 * (which must stop at a row's first patch), hash n-grams (which must not read the row before), a causal or
 * block-causal global mask. Loss and every gradient entry agree up to float rounding.
 */
class PackedRowsTest {

    private static BltArgs tiny(int dimGlobal, int layersEnc, int layersDec, boolean allEnc, boolean allDec, int k,
                                Integer windowEnc, Integer windowDec, String pooling, AttnBiasType bias) {
        return new BltArgs(
                null, null, dimGlobal, 8, 8,                     // dim, vocab_size, dim_global, dim_local_encoder/decoder
                4, 2, 2, 2,                                      // heads: global, kv global, local encoder, local decoder
                2, layersEnc, layersDec,                         // layers: global, local encoder, local decoder
                null, 8, null, null,                             // ffn_dim_multiplier, multiple_of, norm_eps, rope_theta
                5, null, null, null,                             // local_attention_window_len, max_seqlen, max_encoder_seq_length, eos_id
                true, true, allEnc, allDec, true,                // cross_attn_encoder/decoder, all layers enc/dec, init_by_pooling
                k, 2, windowEnc, windowDec,                      // cross_attn_k, cross_attn_nheads, windows enc/dec
                PoolingMode.parse(pooling), List.of(2, 3), 1, 13, // pooling, hash group sizes, functions, hash vocab
                null, null, null, null, null, null, null, null,  // use_local_encoder_transformer … patch_size
                bias);
    }

    private static ByteLatentTransformer model(BltArgs args, Random rnd) {
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(args));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(args));
        return new ByteLatentTransformer(args, Fd.randomParams(specs, rnd), null);
    }

    /** Random lengths over n + 1 positions: first 1, then 1..4 each, then `empty` zero-length patches. */
    private static int[] lengths(Random rnd, int n, int empty) {
        List<Integer> l = new ArrayList<>(List.of(1));
        int left = n;
        while (left > 0) {
            int s = Math.min(left, 1 + rnd.nextInt(4));
            l.add(s);
            left -= s;
        }
        for (int e = 0; e < empty; e++) l.add(0);
        return l.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Compares the packed batch with the row-by-row sum on B rows; rows [B][N_r], one row may carry padding. */
    private static void check(String name, BltArgs args, long seed, int[] rowLengths) {
        Random rnd = new Random(seed);
        ByteLatentTransformer m = model(args, rnd);
        int B = rowLengths.length;
        int[][] x = new int[B][], y = new int[B][], pl = new int[B][];
        float[][] mask = new float[B][];
        for (int r = 0; r < B; r++) {
            int n = rowLengths[r];
            x[r] = new int[n];
            y[r] = new int[n];
            mask[r] = new float[n];
            int pad = r == 1 ? Math.min(3, n - 1) : 0;                  // row 1 ends with padding (id 0, masked out)
            for (int i = 0; i < n; i++) {
                boolean real = i < n - pad;
                x[r][i] = i == 0 ? 1 : real ? 3 + rnd.nextInt(257) : 0;
                y[r][i] = real ? 3 + rnd.nextInt(257) : 0;
                mask[r][i] = real ? 1f : 0f;
            }
            if (n > 5) x[r][2 + rnd.nextInt(n - 4)] = 2;                // an EOS inside the row
            pl[r] = lengths(rnd, n, r % 2);                             // odd rows end with an empty patch
        }
        float scale = 1f / 7;
        float[] perRow = m.params().newBuffer();
        double lossRows = 0;
        for (int r = 0; r < B; r++) lossRows += m.forwardBackward(x[r], y[r], mask[r], pl[r], scale, perRow);
        float[] packed = m.params().newBuffer();
        double lossPacked = m.forwardBackwardRows(x, y, mask, pl, scale, packed);
        assertEquals(lossRows, lossPacked, 1e-5 * Math.abs(lossRows), name + ": loss");
        double gMax = 0, worst = 0;
        int worstAt = -1;
        for (int i = 0; i < perRow.length; i++) {
            gMax = Math.max(gMax, Math.abs(perRow[i]));
            double d = Math.abs(perRow[i] - packed[i]);
            if (d > worst) { worst = d; worstAt = i; }
        }
        assertTrue(gMax > 0, name + ": all-zero gradient");
        System.out.printf("%s: loss %.6f vs %.6f, max |Δgrad| %.2e of max |grad| %.2e%n", name, lossRows, lossPacked, worst, gMax);
        assertTrue(worst <= 1e-5 * gMax, name + ": gradient entry " + worstAt + " differs by " + worst + " (max |grad| " + gMax + ")");
    }

    @Test
    void packedEqualsRowByRow() {
        // k = 2, dim_global 16 = 8·2; decoder cross-attention before each layer; block-causal global
        check("max pooling, k=2", tiny(16, 1, 2, false, true, 2, null, null, "max", null), 1, new int[] {12, 12, 12, 12});
    }

    @Test
    void packedEqualsRowByRowWithWindowsAndProjection() {
        // windows of 2 patches on both sides reach back into the row before unless they stop at its first patch
        check("avg pooling, projection, windows 2", tiny(24, 2, 1, true, false, 1, 2, 2, "avg", null), 2,
                new int[] {14, 9, 17});
        check("min pooling, windows 3, causal global", tiny(16, 1, 2, true, true, 2, 3, 3, "min", AttnBiasType.CAUSAL), 3,
                new int[] {11, 11, 11, 11, 11});
    }

    @Test
    void oneRowIsThePlainPass() {
        Random rnd = new Random(4);
        ByteLatentTransformer m = model(tiny(16, 1, 2, false, true, 2, null, null, "max", null), rnd);
        int[] x = {1, 40, 41, 2, 50, 60, 70, 80}, y = {40, 41, 2, 50, 60, 70, 80, 90};
        int[] pl = {1, 3, 2, 3};
        float[] a = m.params().newBuffer(), b = m.params().newBuffer();
        double la = m.forwardBackward(x, y, null, pl, 1f, a);
        double lb = m.forwardBackwardRows(new int[][] {x}, new int[][] {y}, null, new int[][] {pl}, 1f, b);
        assertEquals(la, lb, 0.0);
        assertArrayEquals(a, b, 0f);
    }

    @Test
    void badBatchesAreRefused() {
        ByteLatentTransformer m = model(tiny(16, 1, 1, false, false, 2, null, null, "max", null), new Random(5));
        float[] g = m.params().newBuffer();
        int[][] x = {{1, 5, 6}}, y = {{5, 6}};
        Blt4jException e = assertThrows(Blt4jException.class,
                () -> m.forwardBackwardRows(x, y, null, new int[][] {{1, 3}}, 1f, g));
        assertTrue(e.getMessage().contains("row 0: 3 tokens but 2 targets"), e.getMessage());
        assertThrows(Blt4jException.class, () -> m.forwardBackwardRows(x, new int[][] {{5, 6, 7}}, null, new int[][] {}, 1f, g));
    }
}
