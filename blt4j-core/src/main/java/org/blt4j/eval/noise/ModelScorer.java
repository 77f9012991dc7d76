package org.blt4j.eval.noise;

import java.util.List;
import java.util.Objects;
import org.blt4j.Blt4jException;
import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.LanguageModel;
import org.blt4j.patch.Patcher;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.ByteTokenizer;

/**
 * A {@link LanguageModel}'s log-likelihood (nats) of a continuation given a context, per continuation byte.
 *
 * <p>The row is BOS + context + continuation (bytes for the byte LM and the BLT; for the token LM the context's and
 * the continuation's tokens, each encoded on its own); the score sums log p of the continuation's ids, each predicted
 * from everything before it; the token LM's sum is divided by the continuation's bytes too, so all kinds compare per
 * byte. The BLT's row is patched by its entropy model with the BLT's own patcher args (as {@code eval} patches).
 *
 * <p>A forward input (BOS + context + continuation but its last id) longer than the model's context
 * ({@link LanguageModel#context()}) loses the start of the context; a continuation that alone does not fit is scored
 * in pieces of half the context, each after the ids just before it.
 * Scoring only reads the models: thread-safe.
 */
public final class ModelScorer {
    private ModelScorer() {}

    /** The scorer of m. */
    public static ContinuationScorer of(LanguageModel m) {
        Objects.requireNonNull(m, "model");
        return (context, continuation) -> score(m, context, continuation);
    }

    /**
     * [item][k] log-likelihood per byte of candidate k of each item: what {@code of(m).score(context, continuation(k))
     * .perByte()} gives, the (item, candidate) pairs computed in parallel (one forward each).
     */
    public static double[][] perByte(LanguageModel m, List<FourWayItem> items) {
        Objects.requireNonNull(m, "model");
        int n = items.size(), K = FourWayItem.CHOICES;
        double[][] out = new double[n][K];
        byte[][] contexts = new byte[n][];
        for (int i = 0; i < n; i++) contexts[i] = items.get(i).contextBytes();
        Parallel.forEach(n * K, Long.MAX_VALUE, t -> {
            int i = t / K, k = t % K;
            out[i][k] = score(m, contexts[i], items.get(i).continuation(k)).perByte();
        });
        return out;
    }

    /** The score of continuation after context. */
    public static ContinuationScorer.Score score(LanguageModel m, byte[] context, byte[] continuation) {
        if (continuation.length == 0) throw new Blt4jException("scoring: the continuation is empty; it needs at least one byte");
        double ll = switch (m) {
            case LanguageModel.Bytes b -> logLikelihood(concat(byteIds(context), byteIds(continuation)), context.length,
                    m.context(), x -> b.model().forward(x), b.model().args().vocabSize());
            case LanguageModel.Tokens tl -> {
                int[] ctx = tokenIds(tl, context);
                yield logLikelihood(concat(ctx, tokenIds(tl, continuation)), ctx.length, m.context(),
                        x -> tl.model().forward(x), tl.model().args().vocabSize());
            }
            case LanguageModel.Blt bl -> {
                Patcher patcher = bl.model().args().patcherArgs().build();
                yield logLikelihood(concat(byteIds(context), byteIds(continuation)), context.length, m.context(), x -> {
                    float[] H = patcher.needsEntropies() ? bl.entropyModel().entropies(x) : null;
                    return bl.model().forward(x, bosAlone(patcher.patchLengths(x, H, false)));
                }, bl.model().args().vocabSize());
            }
        };
        return new ContinuationScorer.Score(ll, continuation.length);
    }

    /**
     * Σ log p(seq[t]) over t in [s, n) for an LM whose rows are BOS + ids, at most C long. Each forward is on a
     * window x = BOS + seq[a..b-1) (its position i predicts seq[a + i]); one window [max(0, n - C), n) when it holds
     * seq[s] (the whole continuation), else pieces of C / 2 targets, each window ending at its piece's end.
     */
    static double logLikelihood(int[] seq, int s, int C, java.util.function.Function<int[], float[]> forward, int V) {
        int n = seq.length, piece = Math.max(1, C / 2);
        double total = 0;
        for (int t = s; t < n; ) {
            int b = t == s && n - C <= s ? n : Math.min(n, t + piece);
            int a = Math.max(0, b - C);
            int[] x = new int[b - a];                                 // [b - a] = BOS + seq[a .. b-1)
            x[0] = ByteTokenizer.BOS_ID;
            System.arraycopy(seq, a, x, 1, b - a - 1);
            float[] logits = forward.apply(x);                        // [b - a, V]
            for (; t < b; t++) total += logProb(logits, (t - a) * V, V, seq[t]);
        }
        return total;
    }

    /** log softmax(logits[o .. o+V))[y], in double. */
    static double logProb(float[] logits, int o, int V, int y) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[o + v]);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += Math.exp(logits[o + v] - max);
        return logits[o + y] - (max + Math.log(sum));
    }

    private static int[] byteIds(byte[] bytes) {
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) ids[i] = ByteTokenizer.idOf(bytes[i]);
        return ids;
    }

    private static int[] tokenIds(LanguageModel.Tokens m, byte[] bytes) {
        int[] ids = m.tokenizer().encode(bytes);
        for (int i = 0; i < ids.length; i++) ids[i] += TokenIdStream.OFFSET;
        return ids;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * Patch lengths whose first patch is the BOS alone, as the BLT needs and as training rows have it: a first patch of
     * l0 > 1 ids (static patching, or space patching when the text starts at once) becomes [1, l0 - 1] (docs/computation.md
     * §5; {@link org.blt4j.data.BltPacker} shifts its rows the same way).
     */
    static int[] bosAlone(int[] lengths) {
        if (lengths.length == 0 || lengths[0] <= 1) return lengths;
        int[] out = new int[lengths.length + 1];
        out[0] = 1;
        out[1] = lengths[0] - 1;
        System.arraycopy(lengths, 1, out, 2, lengths.length - 1);
        return out;
    }
}
