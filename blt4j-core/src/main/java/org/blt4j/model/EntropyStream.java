package org.blt4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.tensor.Parallel;

/**
 * {@link ChunkedEntropies} over a stream of any length: ids are appended in pieces of any size, and the entropies come
 * out in order, chunk by chunk, as soon as enough ids are in. The chunks are the ones {@link ChunkedEntropies#compute}
 * cuts from each document (positions [0, c), [c, 2c), ... of the document; whole documents when the window is
 * unbounded), a chunk being ready once its last id is in or its document has ended; ready chunks are computed a batch
 * at a time by the same engine ({@link EntropyBatch}), so the numbers are identical. Only the ids that later chunks
 * still read (their warmup) and the pending chunks are kept, so memory is bounded by about a batch plus a chunk and its
 * warmup, whatever the length.
 *
 * <p>With an unbounded window a document is one pass, so it must fit: longer than {@code maxDocument} ids is an error.
 */
public final class EntropyStream implements AutoCloseable {
    /** Receives positions [first, first + len) in order: their ids {@code ids[idsOff..]} and entropies {@code h[0..len)}. */
    @FunctionalInterface
    public interface Sink {
        void accept(long first, int[] ids, int idsOff, float[] h, int len);
    }

    private final EntropyModel model;
    private final Chunking chunking;
    private final boolean unbounded;
    private final int maxDocument;
    private final Sink sink;
    private final EntropyBatch engine;
    private int[] buf = new int[1024]; // ids of stream positions [base, count)
    private long base, count, next;    // next: first position not yet in a chunk
    private long[] docStarts = new long[8]; // starts of the documents from the one holding the first pending chunk on
    private int docs, nextDoc;            // nextDoc: index of the document holding next
    private final List<long[]> pending = new ArrayList<>(); // chunks {start, end} (stream positions) ready to run
    private long pendingRows;

    public EntropyStream(EntropyModel model, Chunking chunking, int maxDocument, Sink sink) {
        this.model = model;
        this.chunking = chunking;
        this.unbounded = model.args().window() == Integer.MAX_VALUE;
        this.maxDocument = maxDocument;
        this.sink = sink;
        this.engine = new EntropyBatch(model, EntropyBatch.defaultRows(model.args()));
    }

    /** Ids appended so far. */
    public long count() {
        return count;
    }

    /**
     * The longest document one pass can take in half the heap, for a model without a window: a pass keeps, per
     * position and layer, about 6·dim + 3·ffn_hidden floats of activations, and the logits and entropies besides.
     */
    public static int maxDocument(EntropyModel model) {
        LmArgs a = model.args();
        long perPosition = 4L * ((long) a.nLayers() * (6L * a.dim() + 3L * a.ffnHidden()) + 2L * a.vocabSize() + 4L * a.dim());
        return (int) Math.min(Integer.MAX_VALUE - 8, Runtime.getRuntime().maxMemory() / 2 / perPosition);
    }

    /** Ids held now (the warmup of the next chunk and what is not computed yet). */
    public long bufferedIds() {
        return count - base;
    }

    /**
     * The most ids held at once for a bounded window: a batch of pending chunks, the chunk being filled and a warmup
     * (a document longer than that never is held whole).
     */
    public long maxBufferedIds() {
        return unbounded ? Long.MAX_VALUE : (long) engine.rows + 2L * chunking.chunkTokens() + chunking.warmup();
    }

    /** Appends ids[off, off + len) and computes the chunks that are ready once a batch of them is. */
    public void append(int[] ids, int off, int len) {
        for (int i = 0; i < len; i++) {
            int id = ids[off + i];
            if (count == 0) addDocStart(0);
            if (count - base == buf.length) grow();
            buf[(int) (count - base)] = id;
            count++;
            boolean ends = id == model.args().eosId();
            if (ends) addDocStart(count);
            if (unbounded && count - docStarts[docs - 1] > maxDocument)
                throw new Blt4jException("the entropy model has no sliding_window, so a document is one pass: "
                        + "a document longer than " + maxDocument + " bytes does not fit this heap; split the text "
                        + "into documents or raise -Xmx (BLT4J_JAVA_OPTS)");
            if (ends || !unbounded) schedule(false);
        }
    }

    /** Computes what is left; the sink has then seen every position. */
    public void finish() {
        schedule(true);
    }

    @Override
    public void close() {}

    /** Moves the chunks that are complete into pending (all of them when finishing); runs pending once it is a batch. */
    private void schedule(boolean finishing) {
        while (next < count) {
            int d = docIndex(next);
            long D = docStarts[d], end = d + 1 < docs ? docStarts[d + 1] : finishing ? count : -1;
            long full = unbounded ? Long.MAX_VALUE : next + chunking.chunkTokens();
            long e;
            if (end >= 0 && full >= end) e = end;
            else if (!unbounded && full <= count) e = full;
            else break;
            long a = unbounded ? D : Math.max(D, next - chunking.warmup());
            pending.add(new long[] {D, next, e});
            pendingRows += e - a;
            next = e;
        }
        if (!pending.isEmpty() && (finishing || pendingRows >= engine.rows)) run();
    }

    /** Computes the pending chunks, hands them to the sink in order, then drops the ids no later chunk reads. */
    private void run() {
        List<EntropyBatch.Window> windows = new ArrayList<>();
        List<float[]> outs = new ArrayList<>();
        for (long[] c : pending) {
            long D = c[0];
            float[] h = new float[(int) (c[2] - c[1])];
            outs.add(h);
            List<EntropyBatch.Window> one = new ArrayList<>(1);
            ChunkedEntropies.addWindows(one, model, chunking, buf, Math.toIntExact(D - base), (int) (c[1] - D),
                    (int) (c[2] - D), h, 0);
            if (one.size() != 1) throw new IllegalStateException("a pending chunk is not one window");
            windows.addAll(one);
        }
        Parallel.withThreads(Math.min(chunking.threads(), Parallel.poolSize()), () -> engine.run(windows, kept -> {}));
        for (int k = 0; k < pending.size(); k++) {
            long[] c = pending.get(k);
            sink.accept(c[1], buf, (int) (c[1] - base), outs.get(k), (int) (c[2] - c[1]));
        }
        pending.clear();
        pendingRows = 0;
        int d = docIndex(next);
        long D = docStarts[d];
        dropBefore(unbounded ? Math.min(next, D) : Math.max(D, next - chunking.warmup()), d);
    }

    private void addDocStart(long p) {
        if (docs > 0 && docStarts[docs - 1] == p) return;
        if (docs == docStarts.length) docStarts = Arrays.copyOf(docStarts, 2 * docs);
        docStarts[docs++] = p;
    }

    /** Index of the document holding position next (the last start at or before it). */
    private int docIndex(long p) {
        while (nextDoc + 1 < docs && docStarts[nextDoc + 1] <= p) nextDoc++;
        return nextDoc;
    }

    /** Forgets ids before position keep and the documents before document first. */
    private void dropBefore(long keep, int first) {
        int shift = (int) (keep - base);
        if (shift > 0) {
            System.arraycopy(buf, shift, buf, 0, (int) (count - keep));
            base = keep;
        }
        if (first > 0) {
            System.arraycopy(docStarts, first, docStarts, 0, docs - first);
            docs -= first;
            nextDoc -= first;
        }
    }

    private void grow() {
        if (buf.length >= Integer.MAX_VALUE / 2) throw new Blt4jException("entropy stream: buffer over 1G ids");
        buf = Arrays.copyOf(buf, buf.length * 2);
    }
}
