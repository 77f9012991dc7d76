package org.blt4j.eval.noise;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * A HellaSwag-like four-way item: a context ending at a sentence end, four candidate sentences, and the index of the
 * true next sentence among them. A candidate k is scored as the continuation {@link #continuation}: one space, then
 * the sentence, after the context's bytes.
 */
public record FourWayItem(String context, List<String> candidates, int answer) {
    public static final int CHOICES = 4;

    public FourWayItem {
        candidates = List.copyOf(candidates);
        if (candidates.size() != CHOICES)
            throw new IllegalArgumentException("a four-way item needs 4 candidates, got " + candidates.size());
        if (answer < 0 || answer >= CHOICES) throw new IllegalArgumentException("answer must be in 0..3, got " + answer);
    }

    /** The context's UTF-8 bytes. */
    public byte[] contextBytes() {
        return context.getBytes(StandardCharsets.UTF_8);
    }

    /** The UTF-8 bytes scored for candidate k: " " + candidate (the separator is never noised). */
    public byte[] continuation(int k) {
        return (" " + candidates.get(k)).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * This item with {@code noise} applied where {@code where} says: the context first, then candidates 0..3, each
     * with its own draws from {@code rng} (in that order). The answer index stays.
     */
    public FourWayItem noised(Noise noise, NoiseWhere where, RandomGenerator rng) {
        String ctx = where.context() ? noise.apply(context, rng) : context;
        List<String> cands = new ArrayList<>(CHOICES);
        for (String c : candidates) cands.add(where.candidates() ? noise.apply(c, rng) : c);
        return new FourWayItem(ctx, cands, answer);
    }
}
