package org.blt4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Random;
import org.blt4j.model.Masks;
import org.blt4j.model.PatchLayout;
import org.blt4j.nn.Fd.Primed;
import org.blt4j.tensor.AttnMask;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference gradient checks of every layer's backward on tiny seeded shapes. The loss is a random linear
 * functional L = Σ r · out (so dOut = r); its numeric gradient comes from central differences (eps 1e-5) of a float64
 * re-implementation of the layer ({@link Ref64}), taken at the float32 inputs and weights, so the difference quotient
 * does not drown in float32 rounding. Each check first compares our float32 forward with that reference (which
 * validates the reference), then the analytic gradient of every input and every parameter tensor:
 * |analytic − numeric| ≤ 1e-3 · max|numeric| + 1e-5. Gradient buffers that backward accumulates into are pre-filled
 * with noise, so an overwrite instead of += fails too.
 */
class GradCheckTest {
    private static final double EPS = 1e-5;          // RMSNorm eps of the layers
    private static final double THETA = 10000;

    private static int[] positions(int S, int first) {
        int[] pos = new int[S];
        for (int i = 0; i < S; i++) pos[i] = first + i;
        return pos;
    }

    @Test
    void linear() {
        Random rnd = new Random(1);
        int M = 3, out = 5, in = 7;
        ParamStore ps = Fd.randomParams(List.of(new ParamStore.Spec("w", out, in)), rnd);
        Linear lin = ps.linear("w", out, in);
        float[] x = Fd.gaussian(rnd, M * in, 1);
        float[] y = lin.forward(x, M);
        float[] r = Fd.gaussian(rnd, y.length, 1);
        Primed dx = Primed.of(x.length, rnd), grad = Primed.of(ps.data().length, rnd);
        lin.backward(x, r, M, dx.buf(), grad.buf());
        Fd.checkLayer("Linear", (v, p) -> Ref64.linear(v[0], M, p, ps.get("w")),
                ps, new float[][] {x}, y, r, new float[][] {dx.added()}, grad.added());
    }

    @Test
    void rmsNorm() {
        rmsNorm(6, 2);
        rmsNorm(37, 12);        // whole vectors (8 or 16 lanes) and a tail
    }

    private static void rmsNorm(int dim, long seed) {
        Random rnd = new Random(seed);
        int rows = 4;
        ParamStore ps = Fd.randomParams(List.of(new ParamStore.Spec("w", dim)), rnd);
        RmsNorm norm = ps.rmsNorm("w", dim, EPS);
        float[] x = Fd.gaussian(rnd, rows * dim, 1);
        for (int i = 0; i < dim; i++) x[dim + i] *= 0.005f;     // a row where eps matters
        float[] y = norm.forward(x, rows);
        float[] r = Fd.gaussian(rnd, y.length, 1);
        Primed dx = Primed.of(x.length, rnd), grad = Primed.of(ps.data().length, rnd);
        norm.backward(x, r, rows, dx.buf(), grad.buf());
        Fd.checkLayer("RmsNorm dim " + dim, (v, p) -> Ref64.rmsNorm(v[0], rows, p, ps.get("w"), EPS),
                ps, new float[][] {x}, y, r, new float[][] {dx.added()}, grad.added());
    }

    @Test
    void feedForward() {
        Random rnd = new Random(3);
        int S = 3, dim = 6, hidden = 10;
        ParamStore ps = Fd.randomParams(FeedForward.specs("ff.", dim, hidden), rnd);
        FeedForward ff = FeedForward.of(ps, "ff.", dim, hidden);
        float[] x = Fd.gaussian(rnd, S * dim, 1);
        float[] y = new float[S * dim];
        FeedForward.Acts acts = ff.forward(x, S, y);
        float[] r = Fd.gaussian(rnd, y.length, 1);
        Primed dx = Primed.of(x.length, rnd), grad = Primed.of(ps.data().length, rnd);
        ff.backward(x, S, acts, r, dx.buf(), grad.buf());
        Fd.checkLayer("FeedForward (SwiGLU)", (v, p) -> Ref64.feedForward(v[0], S, p, ps, "ff."),
                ps, new float[][] {x}, y, r, new float[][] {dx.added()}, grad.added());
    }

    /** Self-attention with interleaved RoPE; mask and refMask must describe the same visibility. */
    private static void selfAttention(String name, long seed, int S, int dim, int nHeads, int nKv, int[] pos,
                                      AttnMask mask, Ref64.Visible refMask) {
        Random rnd = new Random(seed);
        int hd = dim / nHeads;
        ParamStore ps = Fd.randomParams(SelfAttention.specs("attn.", dim, nHeads, nKv, hd), rnd);
        SelfAttention sa = SelfAttention.of(ps, "attn.", dim, nHeads, nKv, hd, THETA);
        float[] x = Fd.gaussian(rnd, S * dim, 1);
        float[] y = new float[S * dim];
        SelfAttention.Acts acts = sa.forward(x, S, pos, mask, y);
        float[] r = Fd.gaussian(rnd, y.length, 1);
        Primed dx = Primed.of(x.length, rnd), grad = Primed.of(ps.data().length, rnd);
        sa.backward(x, S, acts, r, dx.buf(), grad.buf());
        Fd.checkLayer(name, (v, p) -> Ref64.selfAttention(v[0], S, p, ps, "attn.", nHeads, nKv, hd, THETA, pos, refMask),
                ps, new float[][] {x}, y, r, new float[][] {dx.added()}, grad.added());
    }

    @Test
    void selfAttentionCausal() {
        selfAttention("SelfAttention causal", 4, 5, 8, 2, 2, positions(5, 0), AttnMask.causal(), Ref64.causal());
    }

    @Test
    void selfAttentionLocalBlockCausal() {
        // 7 positions, a document ends (EOS) at 3, window 3: position 5 sees 4..5 only, position 2 sees 0..2
        boolean[] endsDoc = new boolean[7];
        endsDoc[3] = true;
        selfAttention("SelfAttention local block-causal w=3, EOS", 5, 7, 8, 2, 2, positions(7, 0),
                Masks.localBlockCausal(endsDoc, 3), Ref64.localBlockCausal(endsDoc, 3));
    }

    @Test
    void selfAttentionLongRows() {
        // 40 positions, window 37: the backward's softmax recompute runs whole vectors (16 lanes on AVX-512), not only tails
        boolean[] endsDoc = new boolean[40];
        endsDoc[5] = true;
        selfAttention("SelfAttention 40 positions, EOS, w=37", 7, 40, 8, 2, 1, positions(40, 0),
                Masks.localBlockCausal(endsDoc, 37), Ref64.localBlockCausal(endsDoc, 37));
    }

    @Test
    void selfAttentionGqa() {
        // 4 query heads on 2 KV heads; positions start at 3 so every row's RoPE angle is non-zero
        selfAttention("SelfAttention GQA 4q/2kv", 6, 5, 8, 4, 2, positions(5, 3), AttnMask.causal(), Ref64.causal());
    }

    /**
     * Cross-attention x ← 2x + attn(x, kv): queries x [Sq, dim], keys/values kv [Sk, dim]. backward replaces dNew by
     * the gradient w.r.t. x and adds the one w.r.t. kv. Returns (out, dx) for extra checks.
     */
    private static float[][] crossAttention(String name, long seed, int Sq, int Sk, int dim, int nHeads, AttnMask mask,
                                            Ref64.Visible refMask) {
        Random rnd = new Random(seed);
        ParamStore ps = Fd.randomParams(CrossAttention.specs("ca.", dim, nHeads), rnd);
        CrossAttention ca = CrossAttention.of(ps, "ca.", dim, nHeads, EPS);
        float[] x = Fd.gaussian(rnd, Sq * dim, 1), kv = Fd.gaussian(rnd, Sk * dim, 1);
        float[] out = x.clone();
        CrossAttention.Acts acts = ca.forwardResidual2(out, Sq, kv.clone(), Sk, mask);
        float[] r = Fd.gaussian(rnd, out.length, 1);
        float[] dx = r.clone();
        Primed dKv = Primed.of(kv.length, rnd), grad = Primed.of(ps.data().length, rnd);
        ca.backward(dx, acts, dKv.buf(), grad.buf());
        Fd.checkLayer(name, (v, p) -> Ref64.crossAttention2(v[0], Sq, v[1], Sk, p, ps, "ca.", nHeads, EPS, refMask),
                ps, new float[][] {x, kv}, out, r, new float[][] {dx, dKv.added()}, grad.added());
        return new float[][] {x, out, r, dx};
    }

    @Test
    void crossAttentionPatchesAsQueriesWithEmptyRow() {
        // 6 bytes, patches [0,1) [1,3) [3,6) and patch 3 = only the unseen byte 6: empty, so its k = 2 slots see nothing
        int[] lengths = {1, 2, 3, 1};
        int N = 6, k = 2, dim = 8, P = lengths.length;
        PatchLayout layout = PatchLayout.of(lengths, N);
        float[][] res = crossAttention("CrossAttention patches-as-queries k=2, empty", 7, P * k, N, dim, 2,
                Masks.patchesAsQueries(layout.start(), layout.end(), k, 0), Ref64.patchesAsQueries(lengths, k, 0));
        float[] x = res[0], out = res[1], r = res[2], dx = res[3];
        for (int i = 3 * k * dim; i < P * k * dim; i++) {
            assertEquals(2 * x[i], out[i], "an empty query row outputs exactly 2x");
            assertEquals(2 * r[i], dx[i], "an empty query row gets exactly 2 · dOut");
        }
    }

    @Test
    void crossAttentionPatchesAsQueriesWindow2() {
        int[] lengths = {1, 2, 3, 1};
        int N = 6, k = 1;
        PatchLayout layout = PatchLayout.of(lengths, N);
        crossAttention("CrossAttention patches-as-queries window 2", 8, lengths.length * k, N, 8, 2,
                Masks.patchesAsQueries(layout.start(), layout.end(), k, 2), Ref64.patchesAsQueries(lengths, k, 2));
    }

    @Test
    void crossAttentionBytesAsQueries() {
        int[] lengths = {1, 2, 3, 1};
        int N = 6, k = 2;
        PatchLayout layout = PatchLayout.of(lengths, N);
        crossAttention("CrossAttention bytes-as-queries k=2, window 2", 9, N, lengths.length * k, 8, 2,
                Masks.bytesAsQueries(layout.decoderPatchIds(), k, 2), Ref64.bytesAsQueries(lengths, k, 2));
    }

    @Test
    void transformerBlock() {
        Random rnd = new Random(10);
        int S = 6;
        TransformerBlock.Dims d = new TransformerBlock.Dims(8, 2, 1, 4, 12, THETA, EPS);
        ParamStore ps = Fd.randomParams(TransformerBlock.specs("b.", d), rnd);
        TransformerBlock block = TransformerBlock.of(ps, "b.", d);
        boolean[] endsDoc = new boolean[S];
        endsDoc[2] = true;
        int[] pos = positions(S, 0);
        float[] x = Fd.gaussian(rnd, S * d.dim(), 1);
        float[] out = x.clone();
        TransformerBlock.Acts acts = block.forward(out, S, pos, Masks.localBlockCausal(endsDoc, 3));
        float[] r = Fd.gaussian(rnd, out.length, 1);
        float[] dx = r.clone();
        Primed grad = Primed.of(ps.data().length, rnd);
        block.backward(dx, S, acts, grad.buf());
        Ref64.Visible vis = Ref64.localBlockCausal(endsDoc, 3);
        Fd.checkLayer("TransformerBlock (GQA 2/1, local w=3, EOS)", (v, p) -> Ref64.block(v[0], S, p, ps, "b.", d, pos, vis),
                ps, new float[][] {x}, out, r, new float[][] {dx}, grad.added());
    }

    @Test
    void crossEntropyMaskedAndScaled() {
        crossEntropy(7, 11);
        crossEntropy(37, 12);       // whole vectors and a tail
    }

    private static void crossEntropy(int V, long seed) {
        Random rnd = new Random(seed);
        int N = 5;
        float scale = 0.37f;
        float[] logits = Fd.gaussian(rnd, N * V, 2);
        int[] y = new int[N];
        for (int i = 0; i < N; i++) y[i] = rnd.nextInt(V);
        float[] w = {1, 0, 1, 1, 0};
        float[] dLogits = new float[N * V];
        double loss = CrossEntropy.lossAndGrad(logits, y, w, N, V, scale, dLogits);
        double[] l64 = Fd.f64(logits);
        double ref = Ref64.crossEntropy(l64, y, w, N, V);
        double fwd = Math.abs(loss - ref) / Math.abs(ref);
        assertEquals(ref, loss, 1e-5 * Math.abs(ref), "CrossEntropy loss vs float64");
        assertEquals(ref, CrossEntropy.lossAndGrad(logits, y, w, N, V, scale, null), 1e-9 * Math.abs(ref), "loss alone, in double");
        double[] num = Fd.grad(l64, () -> scale * Ref64.crossEntropy(l64, y, w, N, V), Fd.EPS64);
        double err = Fd.assertGradClose("CrossEntropy d/d logits", dLogits, 0, num, 0, N * V);
        for (int v = 0; v < V; v++) {
            assertEquals(0f, dLogits[V + v], "masked-out row has no gradient");
            assertEquals(0f, dLogits[4 * V + v], "masked-out row has no gradient");
        }
        float[] inPlace = logits.clone();
        assertEquals(loss, CrossEntropy.lossAndGrad(inPlace, y, w, N, V, scale, inPlace), 0.0, "in place: same loss");
        org.junit.jupiter.api.Assertions.assertArrayEquals(dLogits, inPlace, 0f, "in place: the same gradient");
        Fd.report("CrossEntropy V " + V + ", mask 0/1, scale 0.37", fwd, err, "logits");
    }
}
