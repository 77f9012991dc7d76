package org.blt4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.blt4j.Blt4jException;
import org.blt4j.model.ChunkedEntropies.Chunking;

/**
 * {@link ChunkedEntropies} over a stream of any length: ids are appended in pieces of any size, and the entropies come
 * out in order, chunk by chunk, as soon as enough ids are in. Only the ids that later chunks still read (their warmup)
 * are kept, so memory is bounded by {@code threads · (chunk + warmup)} positions whatever the length. The chunks are
 * the ones {@link ChunkedEntropies#compute} cuts from the whole stream ([0, c), [c, 2c), ...; documents when the window
 * is unbounded), computed by the same code, so the numbers are identical.
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
    private final ExecutorService pool;
    private int[] buf = new int[1024]; // ids of stream positions [base, count)
    private long base, count, next;    // next: first position whose entropies are not out yet
    private long[] docStarts = new long[8]; // starts of the documents from the one holding `next` on
    private int docs;
    private final long batch;          // positions computed at once: a chunk per thread

    public EntropyStream(EntropyModel model, Chunking chunking, int maxDocument, Sink sink) {
        this.model = model;
        this.chunking = chunking;
        this.unbounded = model.args().window() == Integer.MAX_VALUE;
        this.maxDocument = maxDocument;
        this.sink = sink;
        this.batch = (long) chunking.threads() * chunking.chunkTokens();
        this.pool = Executors.newFixedThreadPool(chunking.threads(), r -> {
            Thread t = new Thread(r, "blt4j-entropies");
            t.setDaemon(true);
            return t;
        });
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

    /** Appends ids[off, off + len) and computes every chunk that is complete. */
    public void append(int[] ids, int off, int len) {
        for (int i = 0; i < len; i++) {
            int id = ids[off + i];
            if (count == 0 || buf[(int) (count - 1 - base)] == model.args().eosId()) addDocStart(count);
            if (count - base == buf.length) grow();
            buf[(int) (count - base)] = id;
            count++;
            if (unbounded) {
                if (count - docStarts[docs - 1] > maxDocument)
                    throw new Blt4jException("the entropy model has no sliding_window, so a document is one pass: "
                            + "a document longer than " + maxDocument + " bytes does not fit this heap; split the text "
                            + "into documents or raise -Xmx (BLT4J_JAVA_OPTS)");
                if (id == model.args().eosId()) run(List.of(new long[] {next, count}));
            } else if (count - next >= batch) run(chunks(count));
        }
    }

    /** Computes what is left; the sink has then seen every position. */
    public void finish() {
        if (count > next) run(unbounded ? List.of(new long[] {next, count}) : chunks(count));
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }

    /** Fixed chunks from next up to end. */
    private List<long[]> chunks(long end) {
        List<long[]> out = new ArrayList<>();
        for (long s = next; s < end; s += chunking.chunkTokens()) out.add(new long[] {s, Math.min(end, s + chunking.chunkTokens())});
        return out;
    }

    /** Computes the chunks in parallel, hands them to the sink in order, then drops the ids no later chunk reads. */
    private void run(List<long[]> chunks) {
        int warmup = unbounded ? 0 : chunking.warmup();
        List<Future<float[]>> futures = new ArrayList<>();
        for (long[] c : chunks) {
            long docStart = docStartOf(c[0]);
            futures.add(pool.submit(() -> ChunkedEntropies.chunk(model, buf, base, docStart, c[0], c[1], warmup, chunking.positionPeriod())));
        }
        for (int k = 0; k < chunks.size(); k++) {
            long[] c = chunks.get(k);
            sink.accept(c[0], buf, (int) (c[0] - base), ChunkedEntropies.await(futures.get(k)), (int) (c[1] - c[0]));
        }
        next = chunks.get(chunks.size() - 1)[1];
        dropBefore(Math.max(docStartOf(next), next - warmup));
    }

    private void addDocStart(long p) {
        if (docs == docStarts.length) docStarts = Arrays.copyOf(docStarts, 2 * docs);
        docStarts[docs++] = p;
    }

    /** Start of the document holding position p (p ≥ the first kept start). */
    private long docStartOf(long p) {
        long d = docStarts[0];
        for (int k = 0; k < docs && docStarts[k] <= p; k++) d = docStarts[k];
        return d;
    }

    /** Forgets ids before position keep and the document starts before the one holding next. */
    private void dropBefore(long keep) {
        int shift = (int) (keep - base);
        if (shift > 0) {
            System.arraycopy(buf, shift, buf, 0, (int) (count - keep));
            base = keep;
        }
        int first = 0;
        while (first + 1 < docs && docStarts[first + 1] <= next) first++;
        if (first > 0) {
            System.arraycopy(docStarts, first, docStarts, 0, docs - first);
            docs -= first;
        }
    }

    private void grow() {
        if (buf.length >= Integer.MAX_VALUE / 2) throw new Blt4jException("entropy stream: buffer over 1G ids");
        buf = Arrays.copyOf(buf, buf.length * 2);
    }
}
