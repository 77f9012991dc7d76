package org.blt4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.Documents;

/**
 * Next-byte entropies of a whole token stream with the windowed entropy model, per document, equal to what one
 * forward pass over each document would give (up to rounding), and the same to the bit whatever stream a document
 * sits in.
 *
 * <p>Why chunks can be exact: query i of a layer sees keys i-w+1..i of its document (window w, docs/computation.md §4),
 * so after {@code n_layers} layers position i depends on positions i - n_layers·(w-1) .. i and nothing earlier. A
 * document of n positions is cut into chunks [s, e) at s = 0, c, 2c, ... (c = chunk length, counted in the document),
 * each computed as the forward pass over [a, e), a = max(0, s - warmup), keeping [s, e); with
 * {@code warmup = n_layers·(w - 1)} (what {@link Chunking#exact} picks) every kept position sees exactly the context it
 * has in a full pass. A warmup of just w is not enough for more than one layer: the warm-up positions' own hidden
 * states would lack context. With an unbounded window every document is one chunk.
 *
 * <p>RoPE positions: a token's position is its offset in its document, except that in documents longer than
 * {@code positionPeriod} a chunk counts from the last multiple of positionPeriod at or before a, keeping positions
 * small where fp32 angles are precise. RoPE depends only on position differences, so this changes results by rounding
 * only, and not at all for documents shorter than positionPeriod.
 *
 * <p>Chunk boundaries, warmups and RoPE origins thus depend only on positions within the document, and the batched
 * forward pass ({@link EntropyBatch}) computes each chunk the same whatever chunks share its batch: a document's
 * entropies do not depend on the other documents of the stream ({@link #ofDocuments} equals slices of
 * {@link #compute}).
 */
public final class ChunkedEntropies {
    private ChunkedEntropies() {}

    /** Progress of a long computation; called by the computing thread after each batch. */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (done, total) -> {};

        void update(long doneTokens, long totalTokens);
    }

    /**
     * @param chunkTokens    kept positions per chunk
     * @param warmup         positions computed before a chunk and thrown away
     * @param positionPeriod RoPE positions restart at multiples of this within long documents
     * @param threads        kernel threads ({@link org.blt4j.tensor.Parallel#withThreads}); results do not depend on it
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
         * the chunks), chunks of max(4·warmup, 8192) kept positions (≤ 20% recomputed), positions restarting at
         * max_seqlen, the given number of threads.
         */
        public static Chunking exact(LmArgs args, int threads) {
            int window = args.window();
            long warm = window == Integer.MAX_VALUE ? 0 : (long) args.nLayers() * (window - 1);
            if (warm > Integer.MAX_VALUE / 8) throw new Blt4jException("entropy chunks: window " + window + " is too large to chunk");
            return new Chunking((int) Math.max(4 * warm, 8192), (int) warm, Math.max(1, args.maxSeqlen()), threads);
        }

        /** A copy with another chunk length and warmup. */
        public Chunking with(int chunkTokens, int warmup) {
            return new Chunking(chunkTokens, warmup, positionPeriod, threads);
        }
    }

    /** Entropies [N] (nats) of the stream ids [N] (documents end with EOS). */
    public static float[] compute(EntropyModel model, int[] ids, Chunking chunking, Progress progress) {
        int n = ids.length;
        float[] out = new float[n];
        if (n == 0) return out;
        int[] starts = Documents.starts(ids, model.args().eosId());
        List<EntropyBatch.Window> windows = new ArrayList<>();
        for (int d = 0; d < starts.length; d++) {
            int from = starts[d], len = (d + 1 < starts.length ? starts[d + 1] : n) - from;
            addWindows(windows, model, chunking, ids, from, 0, len, out, from);
        }
        run(model, chunking, windows, n, progress);
        return out;
    }

    /**
     * For each document, its entropies [len + 2] at its BOS, bytes and EOS (the document alone as a token stream,
     * {@code TokenStream.encode(List.of(doc))}): the same values, to the bit, as the document's slice of
     * {@link #compute} over any stream holding it.
     */
    public static float[][] ofDocuments(EntropyModel model, List<byte[]> docs, Chunking chunking) {
        float[][] out = new float[docs.size()][];
        List<EntropyBatch.Window> windows = new ArrayList<>();
        long total = 0;
        for (int d = 0; d < docs.size(); d++) {
            byte[] doc = docs.get(d);
            int[] ids = new int[Math.addExact(doc.length, 2)];
            ids[0] = org.blt4j.text.ByteTokenizer.BOS_ID;
            for (int i = 0; i < doc.length; i++) ids[i + 1] = org.blt4j.text.ByteTokenizer.idOf(doc[i]);
            ids[ids.length - 1] = org.blt4j.text.ByteTokenizer.EOS_ID;
            out[d] = new float[ids.length];
            addWindows(windows, model, chunking, ids, 0, 0, ids.length, out[d], 0);
            total += ids.length;
        }
        run(model, chunking, windows, total, Progress.NONE);
        return out;
    }

    /**
     * Adds the chunks of positions [from, len) of a document of len positions (so far: a stream's last document may
     * grow) whose position j is ids[docOff + j]; H(j) goes to out[outOff + j - from]. from must be a chunk start.
     */
    static void addWindows(List<EntropyBatch.Window> windows, EntropyModel model, Chunking c, int[] ids, int docOff,
                           int from, int len, float[] out, int outOff) {
        boolean unbounded = model.args().window() == Integer.MAX_VALUE;
        int chunk = unbounded ? Integer.MAX_VALUE : c.chunkTokens(), warm = unbounded ? 0 : c.warmup();
        for (long s = from; s < len; s += chunk) {
            int e = (int) Math.min(len, s + chunk), a = (int) Math.max(0, s - warm);
            int origin = a / c.positionPeriod() * c.positionPeriod();
            windows.add(new EntropyBatch.Window(ids, docOff, a, (int) s, e, origin, out, outOff + (int) s - from));
        }
    }

    /** Runs the windows on the model's batch engine with {@code chunking.threads()} kernel threads. */
    static void run(EntropyModel model, Chunking chunking, List<EntropyBatch.Window> windows, long total, Progress progress) {
        EntropyBatch batch = new EntropyBatch(model, EntropyBatch.defaultRows(model.args()));
        AtomicLong done = new AtomicLong();
        Parallel.withThreads(Math.min(chunking.threads(), Parallel.poolSize()), () -> batch.run(windows, kept -> progress.update(done.addAndGet(kept), total)));
    }
}
