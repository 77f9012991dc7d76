package org.blt4j.patch;

import java.util.function.LongConsumer;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;

/**
 * Patches of a row that arrives one position at a time (SPEC §3), for inputs too long to hold: position q is
 * decided as soon as its id t[q] and entropy H[q] arrive (a rule reads only earlier positions), and each patch's
 * length goes to the sink when the next patch starts. The lengths are those of {@link Patcher#patchLengths} with
 * includeNextToken false, max_patch_length included: a patch is split every max_patch_length positions after its start.
 */
public final class PatchStream {
    /**
     * Whether position p starts a patch, asked for p = 0, 1, 2, ... in order, given the id and entropy of position p - 1
     * (p = 0: none, -1 and NaN); a rule keeps whatever else it needs from earlier calls.
     */
    @FunctionalInterface
    public interface StartRule {
        boolean startsPatch(long p, int prevId, float prevEntropy);
    }

    private final StartRule rule;
    private final Integer maxPatchLength;
    private final LongConsumer sink;
    private long q, patchStart, ruleStart; // next position; start of the open patch; of the rule's patch it splits
    private int prevId = -1;
    private float prevEntropy = Float.NaN;

    /** @param sink receives each patch length, in order */
    public PatchStream(StartRule rule, Integer maxPatchLength, LongConsumer sink) {
        if (maxPatchLength != null && maxPatchLength < 1)
            throw new Blt4jException("patch lengths: max_patch_length must be >= 1, got " + maxPatchLength);
        this.rule = rule;
        this.maxPatchLength = maxPatchLength;
        this.sink = sink;
    }

    /** Position q arrives with its id and entropy (NaN when the mode needs none); returns whether q starts a patch. */
    public boolean accept(int id, float entropy) {
        boolean starts = rule.startsPatch(q, prevId, prevEntropy);
        if (starts) ruleStart = q;
        else if (maxPatchLength != null && (q - ruleStart) % maxPatchLength == 0) starts = true;
        if (starts && q > 0) sink.accept(q - patchStart);
        if (starts) patchStart = q;
        prevId = id;
        prevEntropy = entropy;
        q++;
        return starts;
    }

    /** Positions accepted so far. */
    public long positions() {
        return q;
    }

    /** Closes the last patch (the row has ended). */
    public void finish() {
        if (q > patchStart) sink.accept(q - patchStart);
        patchStart = q;
    }

    /**
     * The per-position form of a patcher, or null for one that needs the whole row (top-k). Entropy rules and byte,
     * space, bpe and static patching decide p from positions p - 1 and p - 2 alone (or from p itself).
     */
    public static StartRule ruleOf(Patcher patcher) {
        return switch (patcher) {
            case Patcher.ThresholdRule r -> thresholdRule(r);
            case Patcher.PerByte b -> (p, id, h) -> true;
            case Patcher.Static s -> (p, id, h) -> p % s.patchSize() == 0;
            case Patcher.Bpe b -> (p, id, h) -> p < 2 || id == ByteTokenizer.BPE_ID;
            case Patcher.Space s -> spaceRule();
            case Patcher.EntropyTopK k -> null;
        };
    }

    /** Positions 0 and 1 start patches; p ≥ 2 asks the rule, which reads H[p-1] and H[p-2] (and p itself up to 3). */
    private static StartRule thresholdRule(Patcher.ThresholdRule r) {
        float[] h = new float[4]; // h[0..3) = H[0..3), then h[2], h[3] = H[p-2], H[p-1] for every p ≥ 4
        return (p, id, prev) -> {
            if (p < 4) {
                if (p > 0) h[(int) p - 1] = prev;
                return p < 2 || r.startsPatch(h, (int) p);
            }
            if (p > 4) h[2] = h[3];
            h[3] = prev;
            return r.startsPatch(h, 4);
        };
    }

    /** A patch ends after a non-word byte that follows a word byte, and after any id below 4 (SPEC §3). */
    private static StartRule spaceRule() {
        int[] before = {-1}; // id of position p - 2
        return (p, id, h) -> {
            boolean starts = p < 2 || !Patcher.Space.isWordByte(id) && Patcher.Space.isWordByte(before[0])
                    || id < ByteTokenizer.OFFSET;
            before[0] = id;
            return starts;
        };
    }
}
