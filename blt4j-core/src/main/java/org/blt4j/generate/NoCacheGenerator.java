package org.blt4j.generate;

import java.util.Arrays;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.patch.Patcher;

/**
 * Generation with the reference's semantics (docs/computation.md §6): at every step the whole prefix is patched again
 * (entropies from the entropy model, include_next_token) and the whole BLT runs again; the last position's logits give
 * the next byte. Slow (quadratic), exact; the reference for the cached generator and for tests.
 */
public final class NoCacheGenerator implements Generator {
    private final ByteLatentTransformer blt;
    private final EntropyModel entropyModel;
    private final Patcher patcher;

    public NoCacheGenerator(ByteLatentTransformer blt, EntropyModel entropyModel, Patcher patcher) {
        this.blt = blt;
        this.entropyModel = entropyModel;
        this.patcher = patcher;
    }

    /** One step: the prefix's patch lengths, the logits for the byte after it. */
    public Step step(int[] prefix) {
        float[] H = patcher.needsEntropies() ? entropyModel.entropies(prefix) : null;
        int[] lengths = patcher.patchLengths(prefix, H, true);
        float[] logits = blt.forward(prefix, lengths);
        int V = blt.args().vocabSize();
        return new Step(lengths, Arrays.copyOfRange(logits, (prefix.length - 1) * V, prefix.length * V));
    }

    /** Generates up to maxBytes ids after prompt (which starts with BOS); stops at EOS or when the listener says so. */
    public int[] generate(int[] prompt, int maxBytes, Sampler sampler, Listener listener) {
        return generate(prompt, maxBytes, sampler, true, listener);
    }

    /** Same; with stopAtEos false it goes on after an EOS (as the reference's fixed-length greedy loop does). */
    @Override
    public int[] generate(int[] prompt, int maxBytes, Sampler sampler, boolean stopAtEos, Listener listener) {
        int[] ids = Arrays.copyOf(prompt, prompt.length + Math.clamp(maxBytes, 0, 256));  // grown as bytes come
        int n = prompt.length;
        int V = blt.args().vocabSize();
        for (int s = 0; s < maxBytes; s++) {
            Step step = step(Arrays.copyOf(ids, n));
            if (n == ids.length) ids = Arrays.copyOf(ids, (int) Math.min(Integer.MAX_VALUE - 8, 2L * n));
            int next = sampler.next(step.logits(), 0, V);
            ids[n++] = next;
            if (listener != null && !listener.onToken(next, step)) break;
            if (stopAtEos && next == blt.args().eosId()) break;
        }
        return Arrays.copyOfRange(ids, prompt.length, n);
    }
}
