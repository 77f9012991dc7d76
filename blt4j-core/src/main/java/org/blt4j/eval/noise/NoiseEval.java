package org.blt4j.eval.noise;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.blt4j.Blt4jException;
import org.blt4j.eval.LanguageModel;

/**
 * The robustness evaluation: a model's four-way accuracy on clean items and on the same items under each of the
 * paper's five noises, applied where each condition says. The pick is the candidate with the highest log-likelihood
 * per byte ({@link FourWayChoice}: the first of equal ones).
 */
public final class NoiseEval {
    /** Items scored per call of the batch scorer (progress is reported after each), at least 8 per thread. */
    static final int BATCH = Math.max(32, 8 * org.blt4j.tensor.Parallel.poolSize());

    private NoiseEval() {}

    /** A noise applied where said, or the clean items (noise and where null). */
    public record Condition(Noise noise /* null = clean */, NoiseWhere where) {
        public Condition {
            if (noise != null && where == null) throw new IllegalArgumentException("a noise needs where it applies");
            if (noise == null) where = null;
        }

        /** "clean", or the paper's noise name and where, e.g. "AntSpeak/context". */
        public String label() {
            return noise == null ? "clean" : paperName(noise) + "/" + where.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * @param accuracy         the picks that are the true next sentence
     * @param trueBitsPerByte  bits per byte of the true next sentence (as scored: " " + sentence, noised where the
     *                         condition says) given the context: Σ −log2 p over its bytes / Σ its bytes, over the items;
     *                         unlike the accuracy it is not bounded by chance, so it shows robustness on weak models too
     */
    public record Result(Condition condition, FourWayChoice.Accuracy accuracy, double trueBitsPerByte) {}

    /** The paper's name of a noise: AntSpeak, Drop, RandomCase, Repeat, UpperCase. */
    public static String paperName(Noise n) {
        return switch (n) {
            case ANT_SPEAK -> "AntSpeak";
            case DROP -> "Drop";
            case RANDOM_CASE -> "RandomCase";
            case REPEAT -> "Repeat";
            case UPPER_CASE -> "UpperCase";
        };
    }

    /** Clean first, then every noise (in {@link Noise} order) × every where (in the order given). */
    public static List<Condition> conditions(List<NoiseWhere> wheres) {
        if (wheres.isEmpty()) throw new Blt4jException("noise evaluation: no target (context, candidates, both) given");
        List<Condition> out = new ArrayList<>();
        out.add(new Condition(null, null));
        for (Noise n : Noise.values()) for (NoiseWhere w : wheres) out.add(new Condition(n, w));
        return out;
    }

    /**
     * The accuracy of m under each condition, in order; noised items are {@link FourWayItems#noised} of the clean
     * ones with seed. itemsDone (may be null) gets the number of items scored so far, over all conditions.
     */
    public static List<Result> run(LanguageModel m, List<FourWayItem> clean, List<Condition> conds, long seed,
                                   IntConsumer itemsDone) {
        if (clean.isEmpty()) throw new Blt4jException("noise evaluation: no items");
        List<Result> out = new ArrayList<>(conds.size());
        int done = 0;
        for (Condition c : conds) {
            List<FourWayItem> items = c.noise() == null ? clean : FourWayItems.noised(clean, c.noise(), c.where(), seed);
            int correct = 0;
            double nats = 0;
            long bytes = 0;
            for (int from = 0; from < items.size(); from += BATCH) {
                List<FourWayItem> batch = items.subList(from, Math.min(items.size(), from + BATCH));
                double[][] s = ModelScorer.perByte(m, batch);
                for (int i = 0; i < batch.size(); i++) {
                    FourWayItem it = batch.get(i);
                    if (pick(s[i]) == it.answer()) correct++;
                    int len = it.continuation(it.answer()).length;
                    nats -= s[i][it.answer()] * len;
                    bytes += len;
                }
                done += batch.size();
                if (itemsDone != null) itemsDone.accept(done);
            }
            out.add(new Result(c, new FourWayChoice.Accuracy(correct, items.size()), nats / Math.log(2) / bytes));
        }
        return out;
    }

    /** The index of the highest score, the first of equal ones (as {@link FourWayChoice#choose}). */
    static int pick(double[] perByte) {
        int best = 0;
        for (int k = 1; k < perByte.length; k++) if (perByte[k] > perByte[best]) best = k;
        return best;
    }
}
