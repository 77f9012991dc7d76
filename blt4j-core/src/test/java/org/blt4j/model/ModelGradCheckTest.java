package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.DoubleSupplier;
import org.blt4j.nn.CrossEntropy;
import org.blt4j.nn.Fd;
import org.blt4j.nn.Fd.Primed;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;

/**
 * Gradient checks of the model package: the patch pooling (float64 reference, as in the nn layer checks) and the whole
 * tiny entropy model and BLT.
 *
 * <p>For the whole models a float64 re-implementation would be a second model, so their check is a finite difference of
 * the float32 model's own loss (accumulated in double by {@link CrossEntropy}) with a large step, eps = 3e-3, on a
 * handful of coordinates per parameter tensor (the one with the largest analytic gradient and a random one), with a
 * looser tolerance: |analytic − numeric| ≤ 2e-2 · |numeric| + 1e-4 · max|analytic| (of the model). The step is large
 * so that float32 rounding of the loss stays far below the difference; it is not 1e-2 because a step that large
 * already moves some byte past another in a max-pooled patch (a kink: 3.5% off on three coordinates of the max-pooling
 * BLT, 1e-4 with 3e-3).
 */
class ModelGradCheckTest {
    private static final float MODEL_EPS = 3e-3f;
    private static final double MODEL_RTOL = 2e-2, MODEL_ATOL_REL = 1e-4;

    // ---- pooling ----

    /** Max/avg/min over the bytes of each patch, from the patch lengths; an empty patch pools to 0. */
    private static double[] poolRef(String mode, double[] h, int N, int dim, int[] lengths) {
        int P = lengths.length;
        double[] out = new double[P * dim];
        int start = 0;
        for (int p = 0; p < P; p++) {
            int end = Math.min(start + lengths[p], N);
            for (int d = 0; d < dim; d++) {
                double acc = mode.equals("max") ? Double.NEGATIVE_INFINITY : mode.equals("min") ? Double.POSITIVE_INFINITY : 0;
                for (int i = start; i < end; i++) {
                    double v = h[i * dim + d];
                    acc = switch (mode) {
                        case "max" -> Math.max(acc, v);
                        case "min" -> Math.min(acc, v);
                        default -> acc + v / (end - start);
                    };
                }
                out[p * dim + d] = end > start ? acc : 0;
            }
            start = Math.min(start + lengths[p], N);
        }
        return out;
    }

    @Test
    void pooling() {
        // patches [0,1) [1,4) empty [4,6) and the unseen byte 6 (empty)
        int[] lengths = {1, 3, 0, 2, 1};
        int N = 6, dim = 5, P = lengths.length;
        PatchLayout layout = PatchLayout.of(lengths, N);
        for (String mode : List.of("max", "avg", "min")) {
            Random rnd = new Random(20 + mode.hashCode());
            float[] h = Fd.gaussian(rnd, N * dim, 1);
            float[] pooled = Pooling.pool(PoolingMode.parse(mode), h, dim, layout);
            float[] r = Fd.gaussian(rnd, pooled.length, 1);
            Primed dh = Primed.of(h.length, rnd);
            Pooling.backward(PoolingMode.parse(mode), h, dim, layout, pooled, r, dh.buf());
            Fd.checkLayer("Pooling " + mode + " (empty patches)", (v, p) -> poolRef(mode, v[0], N, dim, lengths),
                    null, new float[][] {h}, pooled, r, new float[][] {dh.added()}, null);
            for (int d = 0; d < dim; d++) {
                assertEquals(0f, pooled[2 * dim + d], "empty patch pools to 0");
                assertEquals(0f, pooled[(P - 1) * dim + d], "empty patch pools to 0");
            }
        }
    }

    // ---- whole models ----

    /**
     * Compares the analytic gradient with float32 finite differences of loss on, per parameter tensor, the coordinate
     * with the largest analytic gradient and one random coordinate.
     */
    private static void checkModel(String name, ParamStore ps, float[] grad, DoubleSupplier loss, Random rnd) {
        double gMax = 0;
        for (float g : grad) gMax = Math.max(gMax, Math.abs(g));
        assertTrue(gMax > 0, name + ": all-zero gradient");
        float[] w = ps.data();
        double worst = 0;
        String worstWhat = "-";
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (ParamStore.Param p : ps.params()) {
            int top = 0;
            for (int i = 1; i < p.numel(); i++) if (Math.abs(grad[p.offset() + i]) > Math.abs(grad[p.offset() + top])) top = i;
            for (int i : new int[] {top, rnd.nextInt(p.numel())}) {
                int at = p.offset() + i;
                double num = Fd.at(w, at, loss, MODEL_EPS), diff = Math.abs(grad[at] - num);
                if (!(diff <= MODEL_RTOL * Math.abs(num) + MODEL_ATOL_REL * gMax))
                    bad.add(p.name() + "[" + i + "]: analytic " + grad[at] + ", numeric " + num);
                double rel = diff / Math.max(Math.abs(num), MODEL_ATOL_REL * gMax / MODEL_RTOL);
                if (rel >= worst) { worst = rel; worstWhat = p.name() + "[" + i + "]"; }
                checked++;
            }
        }
        Fd.report(name + " (" + checked + " coords)", Double.NaN, worst, worstWhat);
        assertTrue(bad.isEmpty(), name + ": " + bad.size() + "/" + checked + " coordinates off: " + bad);
    }

    private static void randomize(ParamStore ps, Random rnd) {
        ParamStore r = Fd.randomParams(specsOf(ps), rnd);
        System.arraycopy(r.data(), 0, ps.data(), 0, ps.data().length);
    }

    private static List<ParamStore.Spec> specsOf(ParamStore ps) {
        List<ParamStore.Spec> s = new ArrayList<>();
        for (ParamStore.Param p : ps.params()) s.add(new ParamStore.Spec(p.name(), p.shape()));
        return s;
    }

    private static int[] randomTokens(Random rnd, int n, int eosAt) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 3 + rnd.nextInt(257);
        if (eosAt >= 0) t[eosAt] = 2;
        return t;
    }

    private static void entropyModel(String name, boolean weightTying, long seed) {
        Random rnd = new Random(seed);
        // dim 8, 2 layers, 2 heads on 1 KV head, FFN hidden 24 (multiple_of 8), window 3, EOS id 2
        LmArgs args = new LmArgs(8, 2, 2, 1, null, null, null, 8, null, null, 3, null, null, null, weightTying);
        ParamStore ps = ParamStore.allocate(EntropyModel.specs(args));
        randomize(ps, rnd);
        EntropyModel m = new EntropyModel(args, ps);
        int L = 8, V = args.vocabSize();
        int[] x = randomTokens(rnd, L, 3), y = randomTokens(rnd, L, -1);
        float scale = 1f / L;
        float[] grad = ps.newBuffer();
        double loss = m.forwardBackward(x, y, scale, grad);
        DoubleSupplier f = () -> scale * CrossEntropy.lossAndGrad(m.forward(x), y, null, L, V, 1f, null);
        assertEquals(scale * loss, f.getAsDouble(), 1e-6, "forwardBackward's loss is the forward's");
        checkModel(name, ps, grad, f, rnd);
    }

    @Test
    void entropyModel() {
        entropyModel("EntropyModel (GQA, w=3, EOS)", false, 30);
    }

    @Test
    void entropyModelTiedWeights() {
        entropyModel("EntropyModel (tied embeddings)", true, 31);
    }

    /**
     * A tiny BLT: encoder/decoder dim 8 with 2 heads, window 3; global GQA (2 KV heads); cross-attention with 2 heads,
     * k slots per patch; hash n-gram tables of sizes 2 and 3 with a small vocabulary (rows get shared).
     */
    private static BltArgs tinyBlt(int dimGlobal, int nHeadsGlobal, int nKvGlobal, int layersEnc, int layersDec,
                                   boolean allEnc, boolean allDec, int k, Integer windowEnc, Integer windowDec,
                                   String pooling, List<Integer> hashSizes) {
        return new BltArgs(
                null, null, dimGlobal, 8, 8,                     // dim, vocab_size, dim_global, dim_local_encoder/decoder
                nHeadsGlobal, nKvGlobal, 2, 2,                   // heads: global, kv global, local encoder, local decoder
                1, layersEnc, layersDec,                         // layers: global, local encoder, local decoder
                null, 8, null, null,                             // ffn_dim_multiplier, multiple_of, norm_eps, rope_theta
                3, null, null, null,                             // local_attention_window_len, max_seqlen, max_encoder_seq_length, eos_id
                true, true, allEnc, allDec, true,                // cross_attn_encoder/decoder, all layers enc/dec, init_by_pooling
                k, 2, windowEnc, windowDec,                      // cross_attn_k, cross_attn_nheads, windows enc/dec
                PoolingMode.parse(pooling), hashSizes, 1, 13,                      // downsampling_by_pooling, hash group sizes, functions, hash vocab
                null, null, null, null, null, null, null, null,  // use_local_encoder_transformer … patch_size
                null);                                           // attn_bias_type (block-causal)
    }

    private static void blt(String name, BltArgs args, int[] lengths, long seed) {
        Random rnd = new Random(seed);
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(args));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(args));
        ParamStore ps = ParamStore.allocate(specs);
        randomize(ps, rnd);
        ByteLatentTransformer m = new ByteLatentTransformer(args, ps, null);
        int N = 10, V = args.vocabSize();
        int[] x = randomTokens(rnd, N, 4), y = randomTokens(rnd, N, -1);
        float[] mask = {1, 1, 1, 0, 1, 1, 1, 1, 0, 1};
        float scale = 1f / 8;
        float[] grad = ps.newBuffer();
        double loss = m.forwardBackward(x, y, mask, lengths, scale, grad);
        DoubleSupplier f = () -> scale * CrossEntropy.lossAndGrad(m.forward(x, lengths), y, mask, N, V, 1f, null);
        assertEquals(scale * loss, f.getAsDouble(), 1e-6, "forwardBackward's loss is the forward's");
        checkModel(name, ps, grad, f, rnd);
    }

    @Test
    void bltMaxPoolingKSlots() {
        // k = 2, dim_global 16 = 8·2 (no input projection); decoder cross-attention before each of its 2 layers
        BltArgs a = tinyBlt(16, 4, 2, 1, 2, false, true, 2, null, null, "max", List.of(2, 3));
        blt("BLT max pooling, k=2, hash 2+3", a, new int[] {1, 3, 2, 4, 1}, 40);
    }

    @Test
    void bltAvgPoolingProjectionWindows() {
        // k = 1, dim_global 12 ≠ 8 (token_embedding_projection); encoder cross-attention after each of its 2 layers;
        // cross-attention windows 2; a zero-length padding patch at the end
        BltArgs a = tinyBlt(12, 2, 1, 2, 1, true, false, 1, 2, 2, "avg", List.of(3));
        blt("BLT avg pooling, projection, windows 2", a, new int[] {1, 3, 2, 4, 1, 0}, 41);
    }
}
