package org.blt4j.eval.noise;

import java.util.List;

/** The model's pick on a four-way item: the candidate with the highest log-likelihood per byte. */
public final class FourWayChoice {
    private FourWayChoice() {}

    /** @param correct items whose pick is the answer, of {@code items} */
    public record Accuracy(int correct, int items) {
        public double accuracy() {
            return items == 0 ? Double.NaN : (double) correct / items;
        }
    }

    /** The index (0..3) of the candidate with the highest log-likelihood per byte; the first of equal ones. */
    public static int choose(FourWayItem item, ContinuationScorer scorer) {
        byte[] context = item.contextBytes();
        int best = 0;
        double bestPerByte = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < FourWayItem.CHOICES; k++) {
            double perByte = scorer.score(context, item.continuation(k)).perByte();
            if (k == 0 || perByte > bestPerByte) {
                best = k;
                bestPerByte = perByte;
            }
        }
        return best;
    }

    /** How many of the items the scorer's pick gets right. */
    public static Accuracy accuracy(List<FourWayItem> items, ContinuationScorer scorer) {
        int correct = 0;
        for (FourWayItem item : items) if (choose(item, scorer) == item.answer()) correct++;
        return new Accuracy(correct, items.size());
    }
}
