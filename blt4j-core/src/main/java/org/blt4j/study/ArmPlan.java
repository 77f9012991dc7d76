package org.blt4j.study;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One arm at one size, sized and scheduled: the model args it trains, its cost, and its steps.
 *
 * @param size            the size's name
 * @param arm             the arm's name
 * @param type            the arm's type
 * @param args            model.args of its training config (dims sized, patching set)
 * @param seqLen          data.seq_len: bytes per row (the bpe arm: tokens per row)
 * @param maxPatches      data.max_patches (BLT arms), else 0
 * @param patchSize       measured bytes per patch on the training data (BLT arms; 1 for bytes; bytes per token for bpe)
 * @param forwardPerByte  forward FLOPs per byte (docs/flops.md), the entropy model left out
 * @param ratio           forwardPerByte / the reference arm's
 * @param params          parameters (hash tables apart)
 * @param hashParams      hash n-gram embedding parameters (BLT arms)
 * @param bytesPerRow     mean bytes of text in a training row, measured on the training data
 * @param batchSize       rows per step
 * @param steps           total steps of the whole budget
 * @param branchSteps     steps T_k of each budget's branch (the last = steps)
 * @param branchPoints    the step c_k = T_k - floor(T_k · decay_fraction) where branch k leaves the stable run
 */
public record ArmPlan(String size, String arm, Arm.Type type, ObjectNode args, int seqLen, int maxPatches, double patchSize,
                      double forwardPerByte, double ratio, long params, long hashParams, double bytesPerRow, int batchSize,
                      long steps, List<Long> branchSteps, List<Long> branchPoints) {

    /** Training FLOPs of one byte: 3 × forward. */
    public double trainingPerByte() {
        return org.blt4j.eval.Flops.TRAINING_FACTOR * forwardPerByte;
    }

    /** Training FLOPs one step costs, on average. */
    public double flopsPerStep() {
        return trainingPerByte() * bytesPerRow * batchSize;
    }

    /** Steps the whole arm trains: the stable run to the end plus each earlier branch's decay. */
    public long totalWorkSteps() {
        long w = steps;
        for (int k = 0; k < branchSteps.size() - 1; k++) w += branchSteps.get(k) - branchPoints.get(k);
        return w;
    }

    public String key() {
        return size + "/" + arm;
    }
}
