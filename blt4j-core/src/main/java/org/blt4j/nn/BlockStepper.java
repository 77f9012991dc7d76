package org.blt4j.nn;

import java.util.List;
import org.blt4j.tensor.KvCache;
import org.blt4j.tensor.Ops;

/**
 * Decoding through {@link TransformerBlock}s one position at a time: B rows (independent sequences, each at its own
 * position) go through a block together, so every linear layer is one matrix product with M = B, while each row
 * attends to its own {@link KvCache}. The same math as {@link TransformerBlock#forward} restricted to the newest
 * position. Holds the scratch buffers, so a step allocates nothing.
 */
public final class BlockStepper {
    private final TransformerBlock.Dims d;
    private int rows;
    private float[] normed, q, k, v, attn, delta, a, b, g, scores;

    public BlockStepper(TransformerBlock.Dims dims) {
        this.d = dims;
        ensure(1, 64);
    }

    private void ensure(int B, int keys) {
        if (B > rows) {
            rows = Math.max(B, 2 * rows);
            int qd = d.nHeads() * d.headDim(), kvd = d.nKv() * d.headDim();
            normed = new float[rows * d.dim()];
            delta = new float[rows * d.dim()];
            q = new float[rows * qd];
            attn = new float[rows * qd];
            k = new float[rows * kvd];
            v = new float[rows * kvd];
            a = new float[rows * d.hidden()];
            b = new float[rows * d.hidden()];
            g = new float[rows * d.hidden()];
        }
        int need = keys * d.nHeads();
        if (scores == null || scores.length < need) scores = new float[Math.max(need, scores == null ? 0 : 2 * scores.length)];
    }

    /**
     * In place: x[B, dim] ← block(x), row r being position pos[r] of its sequence, which sees its cached positions
     * [from[r], pos[r]] (after this row's own key and value are stored in caches[r]).
     */
    public void step(TransformerBlock blk, float[] x, int B, int[] pos, int[] from, KvCache[] caches) {
        int maxKeys = 1;
        for (int r = 0; r < B; r++) maxKeys = Math.max(maxKeys, pos[r] - from[r] + 1);
        ensure(B, maxKeys);
        int dim = d.dim(), nH = d.nHeads(), nKv = d.nKv(), hd = d.headDim(), qd = nH * hd, kvd = nKv * hd;
        SelfAttention at = blk.attention();
        blk.attentionNorm().forward(x, 0, B, normed, 0);
        Linear.forwardMany(new Linear[] {at.wq(), at.wk(), at.wv()}, normed, 0, B, new float[][] {q, k, v});
        Ops.rope(q, 0, B, nH, hd, pos, at.ropeTheta());
        Ops.rope(k, 0, B, nKv, hd, pos, at.ropeTheta());
        for (int r = 0; r < B; r++) {
            caches[r].put(pos[r], k, r * kvd, v, r * kvd);
            caches[r].attend(q, r * qd, from[r], pos[r], nH, nKv, hd, attn, r * qd, scores);
        }
        at.wo().forward(attn, 0, B, delta, 0);
        Ops.addInPlace(x, 0, delta, 0, B * dim);
        blk.ffnNorm().forward(x, 0, B, normed, 0);
        FeedForward ff = blk.feedForward();
        Linear.forwardMany(new Linear[] {ff.w1(), ff.w3()}, normed, 0, B, new float[][] {a, b});
        Ops.swiglu(a, 0, b, 0, g, 0, B * ff.hidden());
        ff.w2().forward(g, 0, B, delta, 0);
        Ops.addInPlace(x, 0, delta, 0, B * dim);
    }

    /**
     * caches[l] ← the keys and values of positions [max(0, to - window), to) of a batched pass's block l (what
     * stepping through those positions would have stored).
     */
    public static void fill(KvCache[] caches, List<TransformerBlock.Acts> acts, int to, int window) {
        for (int l = 0; l < caches.length; l++) {
            var at = acts.get(l).attn();
            int kvd = caches[l].kvDim();
            for (int i = (int) Math.max(0, (long) to - window); i < to; i++) caches[l].put(i, at.k(), i * kvd, at.v(), i * kvd);
        }
    }

    /** New caches, one per block, each keeping the last {@code window} positions. */
    public static KvCache[] caches(int blocks, TransformerBlock.Dims d, int window) {
        KvCache[] c = new KvCache[blocks];
        for (int l = 0; l < blocks; l++) c[l] = new KvCache(d.nKv() * d.headDim(), window);
        return c;
    }
}
