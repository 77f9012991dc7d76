package org.blt4j.train;

import org.blt4j.data.BltPacker;

import org.blt4j.eval.BitsPerByte;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.nn.ParamStore;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.text.ByteTokenizer;

/**
 * Training the BLT: the token stream patched with precomputed entropies and packed into rows of a fixed number of
 * patches (see {@link BltPacker}); loss = Σ masked cross-entropy / (Σ mask + 1e-6).
 */
public final class BltTask implements TrainTask {
    private final ByteLatentTransformer model;
    private final BltPacker train, heldOut;

    public BltTask(ByteLatentTransformer model, int[] trainIds, float[] trainH, int[] heldIds, float[] heldH,
                   int batchSize, int seqLen, int patchesPerRow, Long shuffleSeed) {
        this.model = model;
        PatcherArgs pa = model.args().patcherArgs();
        this.train = new BltPacker(trainIds, trainH, pa, new BltPacker.Config(batchSize, patchesPerRow, seqLen, false, shuffleSeed));
        this.heldOut = new BltPacker(heldIds, heldH, pa, new BltPacker.Config(batchSize, patchesPerRow, seqLen, false, null));
        this.inputs = InputsFingerprint.lazy(new int[][] {trainIds, heldIds},
                trainH == null ? new float[0][] : new float[][] {trainH, heldH == null ? new float[0] : heldH});
    }

    private final java.util.function.Supplier<String> inputs;

    @Override public String inputs() { return inputs.get(); }

    public ByteLatentTransformer model() { return model; }

    @Override public String kind() { return "blt"; }

    @Override public ParamStore params() { return model.params(); }

    @Override public BltArgs args() { return model.args(); }

    @Override public long position() { return train.position(); }

    @Override public void seek(long position) { train.seek(position); }

    @Override
    public Step step(float[] grad) {
        BltPacker.Batch b = train.next();
        int rows = b.x().length, N = b.length();
        long count = b.targets();
        float scale = (float) (1.0 / (count + 1e-6));
        // the whole batch as one packed sequence: GEMMs over Σ N bytes / Σ P patches, parallel inside the kernels
        double loss = model.forwardBackwardRows(b.x(), b.y(), masks(b), b.patchLengths(), scale, grad);
        long bytes = 0;
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < N; i++) if (b.mask()[r][i] && ByteTokenizer.isByte(b.y()[r][i])) bytes++;
        return new Step(loss * scale, count, bytes, avgPatchLength(b));
    }

    static float[][] masks(BltPacker.Batch b) {
        float[][] m = new float[b.x().length][b.length()];
        for (int r = 0; r < m.length; r++) for (int i = 0; i < m[r].length; i++) m[r][i] = b.mask()[r][i] ? 1f : 0f;
        return m;
    }

    /** Real bytes per non-empty patch, the BOS patch left out. */
    static double avgPatchLength(BltPacker.Batch b) {
        long tokens = 0, patches = 0;
        for (int r = 0; r < b.x().length; r++) {
            for (boolean m : b.mask()[r]) if (m) tokens++;
            for (int l : b.patchLengths()[r]) if (l > 0) patches++;
            patches--;                                            // the BOS patch
        }
        return tokens / (double) Math.max(1, patches);
    }

    @Override
    public BitsPerByte.Eval evalHeldOut(long maxBytes) {
        return BitsPerByte.blt(model, heldOut, maxBytes);
    }
}
