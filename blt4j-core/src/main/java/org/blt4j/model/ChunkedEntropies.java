package org.blt4j.model;

import org.blt4j.text.Documents;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.blt4j.Blt4jException;

/**
 * Next-byte entropies of a whole token stream with the windowed entropy model, computed in chunks on a fixed pool of
 * threads, equal to what one forward pass over each document would give.
 *
 * <p>Why chunks can be exact: query i of a layer sees keys i-w+1..i of its document (window w, docs/computation.md §4), so after
 * {@code n_layers} layers position i depends on positions i - n_layers·(w-1) .. i and nothing earlier. Chunk [s, e)
 * is therefore computed as the forward pass over [a, e), a = max(start of s's document, s - warmup), keeping [s, e);
 * with {@code warmup = n_layers·(w - 1)} (what {@link Chunking#exact} picks) every kept position sees exactly the
 * context it has in a full pass. A warmup of just w is not enough for more than one layer: the warm-up positions'
 * own hidden states would lack context.
 *
 * <p>RoPE positions: a token's position is its offset in its document (what a forward pass over the document alone
 * gives), except that in documents longer than {@code positionPeriod} a chunk counts from the last multiple of
 * positionPeriod at or before its start a, keeping positions small where fp32 angles are precise. RoPE depends only on
 * position differences, so this changes results by rounding only, and not at all for documents shorter than
 * positionPeriod. With an unbounded window every document is one chunk.
 */
public final class ChunkedEntropies {
    private ChunkedEntropies() {}

    /** Progress of a long computation; called from worker threads, one call at a time. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void update(long doneTokens, long totalTokens);
    }

    /**
     * @param chunkTokens    kept positions per chunk
     * @param warmup         positions computed before a chunk and thrown away
     * @param positionPeriod RoPE positions restart at multiples of this within long documents
     * @param threads        worker threads
     */
    public record Chunking(int chunkTokens, int warmup, int positionPeriod, int threads) {
        public Chunking {
            if (chunkTokens < 1) throw new Blt4jException("entropy chunks: chunk length must be >= 1, got " + chunkTokens);
            if (warmup < 0) throw new Blt4jException("entropy chunks: warmup must be >= 0, got " + warmup);
            if (positionPeriod < 1) throw new Blt4jException("entropy chunks: position period must be >= 1, got " + positionPeriod);
            if (threads < 1) throw new Blt4jException("entropy chunks: threads must be >= 1, got " + threads);
        }

        /**
         * Chunking that reproduces a full forward pass: warmup n_layers·(window-1) (0 if unbounded: then documents are
         * the chunks), chunks of max(4·warmup, 4096) kept positions (≤ 20% recomputed), positions restarting at
         * max_seqlen, the given number of threads.
         */
        public static Chunking exact(LmArgs args, int threads) {
            int window = args.window();
            long warm = window == Integer.MAX_VALUE ? 0 : (long) args.nLayers() * (window - 1);
            if (warm > Integer.MAX_VALUE / 8) throw new Blt4jException("entropy chunks: window " + window + " is too large to chunk");
            return new Chunking((int) Math.max(4 * warm, 4096), (int) warm, Math.max(1, args.maxSeqlen()), threads);
        }

        /** A copy with another chunk length and warmup. */
        public Chunking with(int chunkTokens, int warmup) {
            return new Chunking(chunkTokens, warmup, positionPeriod, threads);
        }
    }

    /** Entropies [N] (nats) of the stream ids [N]. */
    public static float[] compute(EntropyModel model, int[] ids, Chunking chunking, Progress progress) {
        int n = ids.length;
        float[] out = new float[n];
        if (n == 0) return out;
        int[] docStarts = Documents.starts(ids, model.args().eosId());
        boolean unbounded = model.args().window() == Integer.MAX_VALUE;
        List<int[]> chunks = unbounded ? documentChunks(docStarts, n) : fixedChunks(n, chunking.chunkTokens());
        AtomicLong done = new AtomicLong();
        Object progressLock = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(chunking.threads(), chunks.size()), r -> {
            Thread t = new Thread(r, "blt4j-entropies");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int[] c : chunks)
                futures.add(pool.submit(() -> {
                    computeChunk(model, ids, docStarts, c[0], c[1], unbounded ? 0 : chunking.warmup(), chunking.positionPeriod(), out);
                    long d = done.addAndGet(c[1] - c[0]);
                    synchronized (progressLock) {
                        progress.update(d, n);
                    }
                }));
            for (Future<?> f : futures) await(f);
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    /** The result of a chunk's task; its failure rethrown as it was (an interruption as a Blt4jException). */
    static <T> T await(Future<T> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Blt4jException("entropy computation interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new Blt4jException("entropy computation failed: " + e.getCause(), e.getCause());
        }
    }

    /** Computes positions [s, e) into out, running the model over [a, e). */
    static void computeChunk(EntropyModel model, int[] ids, int[] docStarts, int s, int e, int warmup, int period, float[] out) {
        float[] h = chunk(model, ids, 0, Documents.startOf(docStarts, s), s, e, warmup, period);
        System.arraycopy(h, 0, out, s, e - s);
    }

    /**
     * Entropies of stream positions [s, e), running the model over [a, e) with a = max(docStart, s - warmup);
     * {@code ids[i - base]} is the id at stream position i (for every i in [a, e)), docStart the start of the
     * document holding s. Positions are longs so that a stream may be longer than an array; a chunk is not.
     */
    static float[] chunk(EntropyModel model, int[] ids, long base, long docStart, long s, long e, int warmup, int period) {
        long a = Math.max(docStart, s - warmup);
        int L = Math.toIntExact(e - a);
        int[] tok = new int[L], pos = new int[L];
        System.arraycopy(ids, Math.toIntExact(a - base), tok, 0, L);
        long origin = docStart + (a - docStart) / period * period;     // RoPE origin of the first document
        for (int i = 0; i < L; i++) {
            if (i > 0 && tok[i - 1] == model.args().eosId()) origin = a + i; // a new document starts
            pos[i] = Math.toIntExact(a + i - origin);
        }
        float[] h = model.entropies(tok, pos);
        return java.util.Arrays.copyOfRange(h, Math.toIntExact(s - a), L);
    }

    private static List<int[]> fixedChunks(int n, int chunk) {
        List<int[]> out = new ArrayList<>();
        for (long s = 0; s < n; s += chunk) out.add(new int[] {(int) s, (int) Math.min(n, s + chunk)});
        return out;
    }

    private static List<int[]> documentChunks(int[] docStarts, int n) {
        List<int[]> out = new ArrayList<>();
        for (int d = 0; d < docStarts.length; d++) out.add(new int[] {docStarts[d], d + 1 < docStarts.length ? docStarts[d + 1] : n});
        return out;
    }
}
