package org.blt4j.train;

import org.blt4j.eval.BitsPerByte;
import org.blt4j.nn.ParamStore;

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

    /** Bits per byte (and average patch length, NaN for the entropy model) on up to maxBytes held-out bytes. */
    BitsPerByte.Eval evalHeldOut(long maxBytes);

    /** Mean loss (nats per counted target), counted targets, bytes of text they cover, average patch length. */
    record Step(double loss, long targets, long bytes, double avgPatchLength) {}
}
