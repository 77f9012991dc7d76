package org.blt4j.generate;

import java.util.Arrays;
import org.blt4j.Blt4jException;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.IncrementalBlt;
import org.blt4j.patch.Patcher;

/**
 * Fast generation with the reference's results: the BLT and its entropy model run one byte at a time over KV caches
 * ({@link IncrementalBlt}), the global transformer once per patch when it closes. Same bytes as
 * {@link NoCacheGenerator} (logits agree up to float rounding of differently shaped products).
 *
 * <p>Works with patchers that decide each patch start from the past alone: entropy patching with a global threshold
 * (also monotonic and threshold_add), byte and space patching, each with or without max_patch_length. Top-k entropy
 * patching (which looks at the whole prefix), bpe and static patching fall back to {@link NoCacheGenerator}.
 *
 * <p>Several prompts ({@link #generate(int[][], int, Sampler[], boolean, BatchListener)}) run in lockstep: every
 * step feeds one id to each unfinished row (a prompt id while it is still being read, then the last generated one),
 * and the linear layers of all rows are one matrix product with M = the number of rows. Rows do not affect each
 * other: a prompt gives the same bytes alone or in a batch.
 */
public final class CachedGenerator implements Generator {
    private final ByteLatentTransformer blt;
    private final EntropyModel entropyModel;
    private final Patcher patcher;
    private final IncrementalBlt.StartRule rule;   // null: not incremental, use the fallback
    private IncrementalBlt inc;

    public CachedGenerator(ByteLatentTransformer blt, EntropyModel entropyModel, Patcher patcher) {
        this.blt = blt;
        this.entropyModel = entropyModel;
        this.patcher = patcher;
        this.rule = startRule(patcher);
        if (rule != null && patcher.needsEntropies() && entropyModel == null)
            throw new Blt4jException("entropy patching needs an entropy model");
    }

    /** Whether this patcher is generated incrementally (otherwise generation falls back to the uncached path). */
    public static boolean supports(Patcher patcher) {
        return startRule(patcher) != null;
    }

    private static IncrementalBlt.StartRule startRule(Patcher patcher) {
        return switch (patcher) {
            case Patcher.ThresholdRule t -> (tokens, h, p) -> t.startsPatch(h, p);
            case Patcher.PerByte b -> (tokens, h, p) -> true;
            case Patcher.Space s -> (tokens, h, p) -> spaceEnds(tokens[p - 2], tokens[p - 1]);
            default -> null;
        };
    }

    /** Space patching: the patch ends at id {@code cur} (preceded by {@code prev}), so the next position starts one. */
    private static boolean spaceEnds(int prev, int cur) {
        return (!isWordByte(cur) && isWordByte(prev)) || cur < org.blt4j.text.ByteTokenizer.OFFSET;
    }

    private static boolean isWordByte(int id) {
        int b = id - org.blt4j.text.ByteTokenizer.OFFSET;
        return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= 0x80 && b < 0xC0);
    }

    /** The stepper (built on first use; its scratch buffers are reused by later calls). */
    private IncrementalBlt incremental() {
        if (inc == null)
            inc = new IncrementalBlt(blt, patcher.needsEntropies() ? entropyModel : null, rule, patcher.maxPatchLength());
        return inc;
    }

    @Override
    public int[] generate(int[] prompt, int maxBytes, Sampler sampler, boolean stopAtEos, Listener listener) {
        return generate(new int[][] {prompt}, maxBytes, new Sampler[] {sampler}, stopAtEos,
                listener == null ? null : (row, id, step) -> listener.onToken(id, step))[0];
    }

    /** Listens to the ids generated for a batch of prompts. */
    public interface BatchListener {
        /** @return false to stop this row */
        boolean onToken(int row, int id, Step step);
    }

    /**
     * Generates up to maxBytes ids after each prompt (each starting with BOS), row r drawing from samplers[r];
     * a row stops at EOS (when stopAtEos) or when the listener returns false for it. Returns the generated ids per row.
     */
    public synchronized int[][] generate(int[][] prompts, int maxBytes, Sampler[] samplers, boolean stopAtEos,
                                         BatchListener listener) {
        int B = prompts.length;
        if (samplers.length != B) throw new IllegalArgumentException(B + " prompts but " + samplers.length + " samplers");
        for (int[] p : prompts) if (p.length == 0) throw new Blt4jException("empty prompt: it must start with BOS");
        int[][] out = new int[B][];
        if (rule == null) {
            NoCacheGenerator slow = new NoCacheGenerator(blt, entropyModel, patcher);
            for (int r = 0; r < B; r++) {
                int row = r;
                out[r] = slow.generate(prompts[r], maxBytes, samplers[r], stopAtEos,
                        listener == null ? null : (id, step) -> listener.onToken(row, id, step));
            }
            return out;
        }
        IncrementalBlt m = incremental();
        int V = blt.args().vocabSize(), eos = blt.args().eosId();
        IncrementalBlt.State[] states = new IncrementalBlt.State[B];
        int[][] gen = new int[B][Math.max(0, maxBytes)];
        int[] made = new int[B], fed = new int[B];
        boolean[] done = new boolean[B];
        for (int r = 0; r < B; r++) {
            states[r] = m.newState();
            done[r] = maxBytes <= 0;
        }
        IncrementalBlt.State[] act = new IncrementalBlt.State[B];
        int[] ids = new int[B], rowOf = new int[B];
        float[] logits = new float[B * V];
        while (true) {
            int n = 0;
            for (int r = 0; r < B; r++) {
                if (done[r]) continue;
                act[n] = states[r];
                ids[n] = fed[r] < prompts[r].length ? prompts[r][fed[r]] : gen[r][made[r] - 1];
                rowOf[n++] = r;
            }
            if (n == 0) break;
            m.feed(act, ids, n, logits);
            for (int j = 0; j < n; j++) {
                int r = rowOf[j];
                fed[r]++;
                if (fed[r] < prompts[r].length) continue;              // still reading the prompt
                int next = samplers[r].next(logits, j * V, V);
                gen[r][made[r]++] = next;
                boolean more = listener == null || listener.onToken(r, next,
                        new Step(states[r].patchLengths(), Arrays.copyOfRange(logits, j * V, (j + 1) * V)));
                if (!more || made[r] == maxBytes || (stopAtEos && next == eos)) done[r] = true;
            }
        }
        for (int r = 0; r < B; r++) out[r] = Arrays.copyOf(gen[r], made[r]);
        return out;
    }
}
