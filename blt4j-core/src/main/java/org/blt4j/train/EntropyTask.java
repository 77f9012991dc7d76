package org.blt4j.train;

import org.blt4j.data.LmBatcher;

import org.blt4j.eval.BitsPerByte;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
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
    public BitsPerByte.Eval evalHeldOut(long maxBytes) {
        return BitsPerByte.entropyModel(model, heldOut, seqLen, maxBytes);
    }
}
