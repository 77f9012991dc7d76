package org.blt4j.train;

import org.blt4j.data.LmBatcher;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;

/**
 * Training a Llama-style LM ({@link EntropyModel}) on packed rows of an id stream, mean cross-entropy over every
 * target: the byte LM ({@link EntropyTask}) and the token LM ({@link TokenTask}) differ only in how many bytes of text
 * a target stands for and in their held-out evaluation.
 */
abstract class LmTask implements TrainTask {
    final EntropyModel model;
    final int seqLen;
    private final LmBatcher batcher;

    LmTask(EntropyModel model, int[] trainIds, int batchSize, int seqLen, Long shuffleSeed) {
        this.model = model;
        this.seqLen = seqLen;
        this.batcher = new LmBatcher(trainIds, batchSize, seqLen, shuffleSeed);
    }

    /** Bytes of text the target ids y stand for. */
    abstract long bytesOf(int[] y);

    public EntropyModel model() { return model; }

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
        for (int[] y : b.y()) bytes += bytesOf(y);
        return new Step(loss * scale, (long) rows * L, bytes, Double.NaN);
    }
}
