package org.blt4j.train;

import org.blt4j.data.LmBatcher;

import java.util.Arrays;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.CrossEntropy;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.ByteTokenizer;

/** Training the byte-level entropy model: packed rows of BOS + bytes + EOS documents, mean cross-entropy. */
public final class EntropyTask implements TrainTask {
    private final EntropyModel model;
    private final LmBatcher batcher;
    private final int[] heldOut;                 // held-out token stream
    private final int seqLen;

    public EntropyTask(EntropyModel model, int[] trainIds, int[] heldOutIds, int batchSize, int seqLen, long seed) {
        this.model = model;
        this.batcher = new LmBatcher(trainIds, batchSize, seqLen, seed);
        this.heldOut = heldOutIds;
        this.seqLen = seqLen;
    }

    public EntropyModel model() { return model; }

    @Override public String kind() { return "entropy"; }

    @Override public ParamStore params() { return model.params(); }

    @Override public LmArgs args() { return model.args(); }

    @Override public long position() { return batcher.position(); }

    @Override public void seek(long position) { batcher.seek(position); }

    @Override
    public Step step(float[] grad) {
        LmBatcher.Batch b = batcher.next();
        int rows = b.x().length, L = b.x()[0].length;
        float scale = 1f / (rows * L);
        // the whole batch as one masked sequence: GEMMs over B·L rows, parallel inside the kernels
        double loss = model.forwardBackwardRows(b.x(), b.y(), scale, grad);
        long bytes = 0;
        for (int[] y : b.y()) for (int t : y) if (ByteTokenizer.isByte(t)) bytes++;
        return new Step(loss * scale, (long) rows * L, bytes, Double.NaN);
    }

    @Override
    public Eval evalHeldOut(long maxBytes) {
        return eval(model, heldOut, seqLen, maxBytes);
    }

    /**
     * Bits per byte of a token stream: rows of seqLen predictions (x = ids[c·L .. c·L+L), y shifted by one);
     * nats over every target, divided by ln 2 and by the number of byte targets (BOS/EOS targets cost nats but are
     * not bytes of text).
     */
    public static Eval eval(EntropyModel model, int[] ids, int seqLen, long maxBytes) {
        int V = model.args().vocabSize();
        int rows = (int) Math.max(1, Math.min((ids.length - 1 + seqLen - 1) / seqLen, (maxBytes + seqLen - 1) / seqLen));
        double[] nats = new double[rows];
        long[] bytes = new long[rows];
        Parallel.forEach(rows, Long.MAX_VALUE, r -> {
            int from = r * seqLen, to = Math.min(ids.length - 1, from + seqLen);
            if (to <= from) return;
            int[] x = Arrays.copyOfRange(ids, from, to), y = Arrays.copyOfRange(ids, from + 1, to + 1);
            float[] logits = model.forward(x);
            nats[r] = CrossEntropy.lossAndGrad(logits, y, null, x.length, V, 0f, null);
            for (int t : y) if (ByteTokenizer.isByte(t)) bytes[r]++;
        });
        double n = Arrays.stream(nats).sum();
        long b = Arrays.stream(bytes).sum();
        return new Eval(n / Math.log(2) / Math.max(1, b), Double.NaN, b);
    }
}
