package org.blt4j.train;

import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.model.EntropyModel;

/**
 * Training the token-level baseline LM: the entropy model's Llama-style transformer over BPE token ids
 * ({@link TokenIdStream}), packed in rows as the byte LM's stream is, mean cross-entropy over every target. Its bytes
 * are the bytes the target tokens stand for, so train and held-out bits per byte divide by bytes of text.
 */
public final class TokenTask extends LmTask {
    private final TokenIdStream.Stream train, heldOut;

    /** what the run folder keeps beside the checkpoints (the tokenizer): written by {@link #install} */
    private final java.util.function.Consumer<java.nio.file.Path> keep;

    public TokenTask(EntropyModel model, TokenIdStream.Stream train, TokenIdStream.Stream heldOut, int batchSize,
                     int seqLen, Long shuffleSeed, java.util.function.Consumer<java.nio.file.Path> keep) {
        super(model, train.ids(), batchSize, seqLen, shuffleSeed);
        this.train = train;
        this.heldOut = heldOut;
        this.keep = keep;
        this.inputs = InputsFingerprint.lazy(new int[][] {train.ids(), train.byteLengths(), heldOut.ids(), heldOut.byteLengths()}, new float[0][]);
    }

    private final java.util.function.Supplier<String> inputs;

    @Override public String inputs() { return inputs.get(); }

    @Override public String kind() { return "token"; }

    @Override public void install(java.nio.file.Path runDir) { keep.accept(runDir); }

    @Override
    long bytesOf(int[] y) {
        return train.bytesOf(y);
    }

    @Override
    public BitsPerByte.Eval evalHeldOut(long maxBytes) {
        return BitsPerByte.tokenLm(model, heldOut, seqLen, maxBytes);
    }
}
