package org.blt4j.train;

import org.blt4j.eval.BitsPerByte;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Parallel;

/** One kind of model being trained (entropy model, BLT or token LM): its parameters, its data, its loss. */
public interface TrainTask {
    /** "entropy", "blt" or "token". */
    String kind();

    ParamStore params();

    /** The model arguments, written as config.json's "args". */
    Object args();

    /** Loss and gradient of the next training batch; position() moves past it. */
    Step step(float[] grad);

    /** Where the training data iterator stands (rows consumed); seek restores it exactly. */
    long position();

    void seek(long position);

    /**
     * Writes what the run folder keeps beside its checkpoints (a token LM's tokenizer); called by the Trainer once it
     * holds the folder and a resume passed its checks, so a refused run writes nothing there.
     */
    default void install(java.nio.file.Path runDir) {}

    /** A fingerprint of what the task trains on (saved with checkpoints, compared on resume); "" when not known. */
    default String inputs() {
        return "";
    }

    /** Bits per byte (and average patch length, NaN for the entropy model) on up to maxBytes held-out bytes. */
    BitsPerByte.Eval evalHeldOut(long maxBytes);

    /** Mean loss (nats per counted target), counted targets, bytes of text they cover, average patch length. */
    record Step(double loss, long targets, long bytes, double avgPatchLength) {}

    /** Runs rowLoss for each row on Parallel's threads, with one gradient buffer per thread, summed in a fixed order. */
    interface RowLoss {
        double apply(int row, float[] grad);
    }

    static double rowsParallel(int rows, float[] grad, RowLoss rowLoss) {
        int t = Math.min(Parallel.threads(), rows);
        if (t <= 1) {
            double loss = 0;
            for (int r = 0; r < rows; r++) loss += rowLoss.apply(r, grad);
            return loss;
        }
        float[][] grads = new float[t][];
        grads[0] = grad;
        for (int g = 1; g < t; g++) grads[g] = new float[grad.length];
        double[] losses = new double[t];
        Parallel.forEach(t, Long.MAX_VALUE, g -> {
            for (int r = g; r < rows; r += t) losses[g] += rowLoss.apply(r, grads[g]);
        });
        double loss = 0;
        for (int g = 0; g < t; g++) loss += losses[g];
        for (int g = 1; g < t; g++) {
            float[] src = grads[g];
            for (int i = 0; i < grad.length; i++) grad[i] += src[i];
        }
        return loss;
    }
}
