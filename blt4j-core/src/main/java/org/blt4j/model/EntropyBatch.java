package org.blt4j.model;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.nn.Linear;
import org.blt4j.nn.SelfAttention;
import org.blt4j.nn.TransformerBlock;
import org.blt4j.tensor.FlopCounter;
import org.blt4j.tensor.Gemm;
import org.blt4j.tensor.Ops;
import org.blt4j.tensor.Parallel;
import org.blt4j.tensor.SegmentAttention;

/**
 * The entropy model's forward pass over many windows at once: the engine of {@link ChunkedEntropies} and
 * {@link EntropyStream}. A window is positions [a, e) of one document (positions counted in the document), run with
 * RoPE positions counted from {@code origin}, of which [s, e) are kept. Windows are packed one after another into
 * batches of about {@link #rows} positions: every linear layer is one GEMM over the whole batch (M = thousands),
 * attention runs within each window ({@link SegmentAttention}), and logits and entropies only at kept positions;
 * the last layer runs attention only on query blocks holding kept rows, and its wo, FFN on kept rows only.
 *
 * <p>Exactness: every step's result at a position depends only on its own window (norms, RoPE, SwiGLU and adds are
 * row- or element-wise, GEMMs take the tiled kernel for any M ({@link Gemm#linearRowwise}), attention blocks start at
 * the window's start), so a window's entropies are the same to the bit whatever windows share its batch and whatever
 * the thread count. Same blocks and ops as {@link EntropyModel#forward}; results differ from it by rounding only.
 * Not thread-safe (scratch is reused between batches).
 */
final class EntropyBatch {
    /** Document positions [a, e) run, [s, e) kept: ids[docOff + j] is the id at position j, H(j) goes to out[outOff + j - s]. */
    record Window(int[] ids, int docOff, int a, int s, int e, int origin, float[] out, int outOff) {
        int rows() { return e - a; }
    }

    private static final ValueLayout.OfShort BF16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final EntropyModel model;
    private final LmArgs args;
    /** positions per batch (a longer window is a batch of its own) */
    final int rows;
    private int cap;
    private float[] x, nx, q, k, v, att, ffA, ffB, logits, h, wide = new float[0];
    private int[] tok, pos, segStarts, need;

    EntropyBatch(EntropyModel model, int rows) {
        this.model = model;
        this.args = model.args();
        this.rows = rows;
    }

    /** Positions per batch for scratch of about 64 MiB: 512 .. 16384. */
    static int defaultRows(LmArgs a) {
        long perRow = 2L * a.dim() + 2L * (a.nHeads() + a.nKvHeads()) * a.headDim() + 2L * a.ffnHidden() + a.vocabSize() + 2;
        return (int) Math.clamp((1L << 24) / perRow, 512, 16384);
    }

    /** Runs every window (in batches, in order); after each batch, done(kept positions of that batch). */
    void run(List<Window> windows, java.util.function.LongConsumer done) {
        for (int i = 0; i < windows.size(); ) {
            int j = i, M = 0;
            while (j < windows.size() && (j == i || M + windows.get(j).rows() <= rows)) M += windows.get(j++).rows();
            forward(windows.subList(i, j), M);
            long kept = 0;
            for (Window w : windows.subList(i, j)) kept += w.e() - w.s();
            done.accept(kept);
            i = j;
        }
    }

    private void forward(List<Window> ws, int M) {
        ensure(M, ws.size());
        int dim = args.dim(), V = args.vocabSize(), nH = args.nHeads(), nKv = args.nKvHeads(), hd = args.headDim();
        int hidden = args.ffnHidden(), n = 0, kept = 0;
        for (int w = 0; w < ws.size(); w++) {
            Window win = ws.get(w);
            segStarts[w] = n;
            for (int j = win.a(); j < win.e(); j++, n++) {
                int t = win.ids()[win.docOff() + j];
                if (t < 0 || t >= V) throw new Blt4jException("token id " + t + " is outside the vocabulary [0, " + V + ")");
                tok[n] = t;
                pos[n] = j - win.origin();
            }
            kept += win.e() - win.s();
        }
        segStarts[ws.size()] = M;
        java.util.Arrays.fill(x, 0, M * dim, 0f);
        for (int i = 0; i < M; i++) model.tokEmbeddings().addRowTo(tok[i], x, i * dim);
        List<TransformerBlock> layers = model.layers();
        for (int l = 0; l < layers.size(); l++) {                         // x [M, dim] in place
            TransformerBlock b = layers.get(l);
            SelfAttention at = b.attention();
            boolean last = l == layers.size() - 1;
            b.attentionNorm().forward(x, 0, M, nx, 0);
            linear(at.wq(), nx, M, q);                                    // [M, nH*hd]
            linear(at.wk(), nx, M, k);                                    // [M, nKv*hd]
            linear(at.wv(), nx, M, v);
            Ops.rope(q, 0, M, nH, hd, pos, at.ropeTheta());
            Ops.rope(k, 0, M, nKv, hd, pos, at.ropeTheta());
            int R = M;                                                    // rows the rest of the layer runs on
            if (!last) {
                SegmentAttention.forward(q, k, v, att, segStarts, ws.size(), nH, nKv, hd, args.window());
            } else {                                                      // only kept rows go on: x, att → [kept, ·]
                for (int w = 0; w < ws.size(); w++) need[w] = segStarts[w] + ws.get(w).s() - ws.get(w).a();
                SegmentAttention.forward(q, k, v, att, segStarts, need, ws.size(), nH, nKv, hd, args.window());
                compactKept(ws, x, dim);
                compactKept(ws, att, nH * hd);
                R = kept;
            }
            linear(at.wo(), att, R, nx);
            Ops.addInPlace(x, 0, nx, 0, R * dim);
            b.ffnNorm().forward(x, 0, R, nx, 0);
            linear(b.feedForward().w1(), nx, R, ffA);                     // [R, hidden]
            linear(b.feedForward().w3(), nx, R, ffB);
            Ops.swiglu(ffA, 0, ffB, 0, ffA, 0, R * hidden);
            linear(b.feedForward().w2(), ffA, R, nx);
            Ops.addInPlace(x, 0, nx, 0, R * dim);
        }
        if (layers.isEmpty()) compactKept(ws, x, dim);
        model.norm().forward(x, 0, kept, nx, 0);                          // x [kept, dim] → nx
        linear(model.output(), nx, kept, logits);                         // [kept, V]
        int K = kept, blocks = (K + 63) / 64;
        Parallel.forEach(blocks, 12L * K * V, c -> {
            for (int i = c * 64; i < Math.min(K, c * 64 + 64); i++) h[i] = Entropy.ofRowLanes(logits, i * V, V);
        });
        int r = 0;
        for (Window win : ws) {
            int len = win.e() - win.s();
            System.arraycopy(h, r, win.out(), win.outOff(), len);
            r += len;
        }
    }

    /** Moves the kept rows of a [M, width] (windows' rows in order) to its front, as [kept, width]. */
    private void compactKept(List<Window> ws, float[] a, int width) {
        int r = 0;
        for (int w = 0; w < ws.size(); w++) {
            Window win = ws.get(w);
            int len = win.e() - win.s();
            System.arraycopy(a, (segStarts[w] + win.s() - win.a()) * width, a, r * width, len * width);
            r += len;
        }
    }

    /**
     * y[M, out] = x[M, in] · Wᵀ through the row-wise GEMM; a bf16 weight is widened to fp32 first (exactly), an int8
     * one dequantized (q · scale, as {@link org.blt4j.tensor.Int8Matrix#dequantize}).
     */
    private void linear(Linear l, float[] in, int M, float[] y) {
        FlopCounter.linear(M, l.out(), l.in());
        float[] w = l.w();
        int off = l.off();
        if (l.int8() != null) {
            w = dequantized(l.int8());
            off = 0;
        } else if (w == null) {
            w = widened(l.bf16(), l.out() * l.in());
            off = 0;
        }
        Gemm.linearRowwise(in, 0, M, l.in(), w, off, l.out(), y, 0);
    }

    private float[] dequantized(org.blt4j.tensor.Int8Matrix m) {
        int n = m.rows(), k = m.cols(), B = m.blockSize();
        if (wide.length < n * k) wide = new float[n * k];
        for (int r = 0; r < n; r++)
            for (int b = 0; b < m.blocksPerRow(); b++) {
                float s = m.scale(r, b);
                for (int c = b * B, e = Math.min(k, c + B); c < e; c++) wide[r * k + c] = m.code(r, c) * s;
            }
        return wide;
    }

    private float[] widened(MemorySegment bf16, int n) {
        if (wide.length < n) wide = new float[n];
        for (int i = 0; i < n; i++) wide[i] = Float.intBitsToFloat((bf16.getAtIndex(BF16, i) & 0xFFFF) << 16);
        return wide;
    }

    /** rows the buffers hold now */
    int capacity() {
        return cap;
    }

    private void ensure(int M, int windows) {
        if (segStarts == null || segStarts.length < windows + 1) {
            segStarts = new int[Math.max(windows + 1, 64)];
            need = new int[segStarts.length];
        }
        if (M <= cap) return;
        cap = (int) Math.max(M, Math.min(2L * cap, rows)); // grown with the batches, not all at once: a short text needs little
        int dim = args.dim(), qd = args.nHeads() * args.headDim(), kd = args.nKvHeads() * args.headDim();
        long widest = Math.max(Math.max(args.vocabSize(), args.ffnHidden()), Math.max(dim, qd));
        if ((long) cap * widest > Integer.MAX_VALUE - 16)
            throw new Blt4jException("entropy pass: a window of " + M + " positions is too long for one batch; use shorter chunks");
        x = new float[cap * dim];
        nx = new float[cap * Math.max(dim, qd)];
        q = new float[cap * qd];
        att = new float[cap * qd];
        k = new float[cap * kd];
        v = new float[cap * kd];
        ffA = new float[cap * args.ffnHidden()];
        ffB = new float[cap * args.ffnHidden()];
        logits = new float[cap * args.vocabSize()];
        h = new float[cap];
        tok = new int[cap];
        pos = new int[cap];
    }
}
