package org.blt4j.eval;

import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.data.BltPacker;
import org.blt4j.data.TokenIdStream;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.nn.CrossEntropy;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.ByteTokenizer;

/**
 * Bits per byte of a model on a token stream: the cross-entropy (nats) of every next-id prediction, over ln 2 and the
 * number of targets that are bytes of text (BOS/EOS targets cost nats but are not bytes). Rows are evaluated in
 * parallel, one model forward each, and summed in row order. Used by held-out evaluation during training and by
 * {@code blt4j eval}.
 */
public final class BitsPerByte {
    private BitsPerByte() {}

    /**
     * @param bpb            bits per byte
     * @param avgPatchLength ids per patch, the BOS patch left out (NaN for the entropy model, which has no patches)
     * @param bytes          byte targets counted
     */
    public record Eval(double bpb, double avgPatchLength, long bytes) {}

    /**
     * The entropy model on rows of seqLen predictions (x = ids[r·L .. r·L+L), y shifted by one), as many rows as
     * cover maxBytes predictions (at least one, at most the stream).
     */
    public static Eval entropyModel(EntropyModel model, int[] ids, int seqLen, long maxBytes) {
        // ceilDiv: maxBytes = Long.MAX_VALUE (all of it) must not overflow into a single row
        int rows = (int) Math.max(1, Math.min(Math.ceilDiv(ids.length - 1, seqLen), Math.ceilDiv(maxBytes, seqLen)));
        return lmRows(model, ids, seqLen, rows, false, BitsPerByte::byteTargets);
    }

    /**
     * Rows r < rows of seqLen predictions of an LM over ids (x = ids[r·L .. r·L+L), y shifted by one), in parallel:
     * Σ nats of the targets (BOS targets left out when asked) and Σ bytesOf(y).
     */
    private static Eval lmRows(EntropyModel model, int[] ids, int seqLen, int rows, boolean skipBos,
                               java.util.function.ToLongFunction<int[]> bytesOf) {
        int V = model.args().vocabSize();
        double[] nats = new double[rows];
        long[] bytes = new long[rows];
        Parallel.forEach(rows, Long.MAX_VALUE, r -> {
            int from = r * seqLen, to = Math.min(ids.length - 1, from + seqLen);
            if (to <= from) return;
            int[] x = Arrays.copyOfRange(ids, from, to), y = Arrays.copyOfRange(ids, from + 1, to + 1);
            float[] w = null;
            if (skipBos) {
                w = new float[y.length];
                for (int i = 0; i < y.length; i++) w[i] = y[i] == ByteTokenizer.BOS_ID ? 0f : 1f;
            }
            nats[r] = CrossEntropy.lossAndGrad(model.forward(x), y, w, x.length, V, 0f, null);
            bytes[r] = bytesOf.applyAsLong(y);
        });
        return of(nats, bytes, Double.NaN);
    }

    /**
     * The token LM on rows of seqLen predictions of its {@link TokenIdStream} (x = ids[r·L .. r·L+L), y shifted by
     * one), in order, as many rows as hold maxBytes bytes of targets (at least one, at most the stream): Σ nats of
     * every target token, BOS targets left out (a document's start is given, not predicted) and EOS targets counted
     * (ending a document is part of the text's model, as in the byte LM), / ln 2 / the bytes those targets stand for.
     * Over the whole stream that is every byte of the held-out documents.
     */
    public static Eval tokenLm(EntropyModel model, TokenIdStream.Stream stream, int seqLen, long maxBytes) {
        int V = model.args().vocabSize();
        int[] ids = stream.ids();
        if (V != stream.byteLengths().length)
            throw new Blt4jException("token LM: vocab_size " + V + " does not match the tokenizer's "
                    + stream.byteLengths().length + " ids (tokens + " + TokenIdStream.OFFSET + " specials)");
        int rowsTotal = (int) Math.max(1, Math.ceilDiv(ids.length - 1, seqLen));
        int rows = 0;
        for (long b = 0; rows < rowsTotal && b < maxBytes; rows++)
            b += stream.bytesOf(Arrays.copyOfRange(ids, rows * seqLen + 1, Math.min(ids.length, rows * seqLen + seqLen + 1)));
        return lmRows(model, ids, seqLen, Math.max(1, rows), true, stream::bytesOf);
    }

    /** The BLT on the packer's rows (in order, from row 0), as many as hold maxBytes ids (at least one). */
    public static Eval blt(ByteLatentTransformer model, BltPacker packer, long maxBytes) {
        int V = model.args().vocabSize();
        long rowsTotal = packer.rowsPerEpoch();
        int rows = 0;
        long approx = 0;
        while (rows < rowsTotal && approx < maxBytes) approx += packer.row(rows++).x().length;
        double[] nats = new double[rows];
        long[] bytes = new long[rows], patches = new long[rows];
        Parallel.forEach(rows, Long.MAX_VALUE, r -> {
            BltPacker.Row row = packer.row(r);
            float[] logits = model.forward(row.x(), row.patchLengths());
            nats[r] = CrossEntropy.lossAndGrad(logits, row.y(), null, row.x().length, V, 0f, null);
            bytes[r] = byteTargets(row.y());
            for (int l : row.patchLengths()) if (l > 0) patches[r]++;
            patches[r]--;                                             // the BOS patch
        });
        long tokens = 0;
        for (int r = 0; r < rows; r++) tokens += packer.row(r).x().length;
        return of(nats, bytes, tokens / (double) Math.max(1, Arrays.stream(patches).sum()));
    }

    /** Σ nats / ln 2 / Σ bytes, rows summed in order. */
    private static Eval of(double[] nats, long[] bytes, double avgPatchLength) {
        double n = Arrays.stream(nats).sum();
        long b = Arrays.stream(bytes).sum();
        return new Eval(n / Math.log(2) / Math.max(1, b), avgPatchLength, b);
    }

    /** How many of the targets y are bytes of text. */
    static long byteTargets(int[] y) {
        long n = 0;
        for (int t : y) if (ByteTokenizer.isByte(t)) n++;
        return n;
    }
}
