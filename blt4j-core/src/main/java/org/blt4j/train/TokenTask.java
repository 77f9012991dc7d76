package org.blt4j.train;

import org.blt4j.data.LmBatcher;
import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;

/**
 * Training the token-level baseline LM: the entropy model's Llama-style transformer over BPE token ids
 * ({@link TokenIdStream}), packed in rows as the byte LM's stream is, mean cross-entropy over every target. Its bytes
 * are the bytes the target tokens stand for, so train and held-out bits per byte divide by bytes of text.
 */
public final class TokenTask implements TrainTask {
    private final EntropyModel model;
    private final LmBatcher batcher;
    private final TokenIdStream.Stream heldOut;
    private final int[] byteLengths;             // [vocab] bytes each id stands for
    private final int seqLen;

    public TokenTask(EntropyModel model, TokenIdStream.Stream train, TokenIdStream.Stream heldOut, int batchSize,
                     int seqLen, long seed) {
        this.model = model;
        this.batcher = new LmBatcher(train.ids(), batchSize, seqLen, seed);
        this.heldOut = heldOut;
        this.byteLengths = train.byteLengths();
        this.seqLen = seqLen;
    }

    public EntropyModel model() { return model; }

    @Override public String kind() { return "token"; }

    @Override public ParamStore params() { return model.params(); }

    @Override public LmArgs args() { return model.args(); }

    @Override public long position() { return batcher.position(); }

    @Override public void seek(long position) { batcher.seek(position); }

    @Override
    public Step step(float[] grad) {
        LmBatcher.Batch b = batcher.next();
        int rows = b.x().length, L = b.x()[0].length;
        float scale = 1f / (rows * L);
        double loss = model.forwardBackwardRows(b.x(), b.y(), scale, grad);
        long bytes = 0;
        for (int[] y : b.y()) for (int t : y) bytes += byteLengths[t];
        return new Step(loss * scale, (long) rows * L, bytes, Double.NaN);
    }

    @Override
    public BitsPerByte.Eval evalHeldOut(long maxBytes) {
        return BitsPerByte.tokenLm(model, heldOut, seqLen, maxBytes);
    }
}
