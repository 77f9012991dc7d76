package org.blt4j.train;

import org.blt4j.eval.BitsPerByte;
import org.blt4j.model.EntropyModel;
import org.blt4j.text.ByteTokenizer;

/** Training the byte-level entropy model: packed rows of BOS + bytes + EOS documents, mean cross-entropy. */
public final class EntropyTask extends LmTask {
    private final int[] heldOut;                 // held-out token stream

    public EntropyTask(EntropyModel model, int[] trainIds, int[] heldOutIds, int batchSize, int seqLen, Long shuffleSeed) {
        super(model, trainIds, batchSize, seqLen, shuffleSeed);
        this.heldOut = heldOutIds;
        this.inputs = InputsFingerprint.lazy(new int[][] {trainIds, heldOutIds}, new float[0][]);
    }

    private final java.util.function.Supplier<String> inputs;

    @Override public String inputs() { return inputs.get(); }

    @Override public String kind() { return "entropy"; }

    @Override
    long bytesOf(int[] y) {
        long bytes = 0;
        for (int t : y) if (ByteTokenizer.isByte(t)) bytes++;
        return bytes;
    }

    @Override
    public BitsPerByte.Eval evalHeldOut(long maxBytes) {
        return BitsPerByte.entropyModel(model, heldOut, seqLen, maxBytes);
    }
}
