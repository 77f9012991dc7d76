package org.blt4j.patch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.function.LongConsumer;
import org.blt4j.Blt4jException;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.EntropyStream;
import org.blt4j.text.ByteTokenizer;

/**
 * Patches of BOS + the bytes of a stream of any length, in memory bounded by the entropy model's chunks: the bytes are
 * read in blocks, their entropies computed chunk by chunk ({@link EntropyStream}, the chunks of
 * {@link ChunkedEntropies#compute}), each position decided as its entropy arrives ({@link PatchStream}). Gives what
 * {@link #inMemory} gives for the whole text. A mode that looks ahead ({@link Patcher#isIncremental()} false: top-k, static, bpe) reads it into memory, up to
 * {@code maxInMemoryBytes}.
 */
public final class TextPatcher {
    /** What the patching produces, in order. */
    public interface Listener {
        /** Position q (q = 0 is BOS): its id, its entropy (NaN without an entropy model), whether it starts a patch. */
        void position(long q, int id, float entropy, boolean startsPatch);

        /** The next patch length (lengths sum to the number of positions). */
        void patch(long length);
    }

    /** Both results of the in-memory path: patch lengths and entropies (null when the mode needs none). */
    public record Result(int[] lengths, float[] entropies) {}

    private static final int BLOCK = 1 << 16;

    private TextPatcher() {}

    /**
     * The in-memory path: entropies of the whole row by {@link ChunkedEntropies#compute} with the same chunking, then
     * {@link Patcher#patchLengths} (includeNextToken false).
     */
    public static Result inMemory(int[] ids, Patcher patcher, EntropyModel model, Chunking chunking) {
        float[] h = patcher.needsEntropies() ? ChunkedEntropies.compute(model, ids, chunking, ChunkedEntropies.Progress.NONE) : null;
        return new Result(patcher.patchLengths(ids, h, false), h);
    }

    /**
     * Patches BOS + the bytes of {@code in}; {@code model} is needed by the entropy modes only. {@code bytesRead}
     * hears how many bytes have been read so far (for progress). Returns the number of positions.
     */
    public static long stream(InputStream in, Patcher patcher, EntropyModel model, Chunking chunking, long maxInMemoryBytes,
                              Listener listener, LongConsumer bytesRead) {
        if (patcher.needsEntropies() && model == null)
            throw new Blt4jException("entropy patching needs an entropy model");
        if (!patcher.isIncremental())
            return replay(readAll(in, patcher, maxInMemoryBytes, bytesRead), patcher, model, chunking, listener);
        Cutter patches = new Cutter(patcher.incremental(), listener);
        byte[] block = new byte[BLOCK];
        int[] ids = new int[BLOCK + 1];
        long read = 0;
        if (!patcher.needsEntropies()) {
            positions(patches, listener, new int[] {ByteTokenizer.BOS_ID}, 0, null, 1);
            for (int n; (n = read(in, block)) > 0; ) {
                for (int i = 0; i < n; i++) ids[i] = ByteTokenizer.idOf(block[i]);
                positions(patches, listener, ids, 0, null, n);
                bytesRead.accept(read += n);
            }
        } else {
            try (EntropyStream entropies = new EntropyStream(model, chunking, EntropyStream.maxDocument(model),
                    (first, chunkIds, off, h, len) -> positions(patches, listener, chunkIds, off, h, len))) {
                entropies.append(new int[] {ByteTokenizer.BOS_ID}, 0, 1);
                for (int n; (n = read(in, block)) > 0; ) {
                    for (int i = 0; i < n; i++) ids[i] = ByteTokenizer.idOf(block[i]);
                    entropies.append(ids, 0, n);
                    bytesRead.accept(read += n);
                }
                entropies.finish();
            }
        }
        patches.finish();
        return patches.positions();
    }

    private static void positions(Cutter patches, Listener listener, int[] ids, int off, float[] h, int len) {
        for (int i = 0; i < len; i++) {
            float e = h == null ? Float.NaN : h[i];
            long q = patches.positions();
            listener.position(q, ids[off + i], e, patches.accept(ids[off + i], e));
        }
    }

    /**
     * Position q is decided when its id arrives: {@link PatchStream} said whether q starts a patch when q - 1 was fed
     * (q = 0 always does); each length goes to the listener when the next patch starts, the last one at the end.
     */
    private static final class Cutter {
        private final PatchStream stream;
        private final Listener listener;
        private long q, patchStart;
        private boolean nextStarts = true;

        Cutter(PatchStream stream, Listener listener) {
            this.stream = stream;
            this.listener = listener;
        }

        /** Position q arrives with its id and entropy (NaN when the mode reads none); returns whether it starts a patch. */
        boolean accept(int id, float entropy) {
            boolean starts = nextStarts;
            if (starts && q > 0) listener.patch(q - patchStart);
            if (starts) patchStart = q;
            nextStarts = stream.next(id, entropy);
            q++;
            return starts;
        }

        long positions() {
            return q;
        }

        /** Closes the last patch (the row has ended). */
        void finish() {
            if (q > patchStart) listener.patch(q - patchStart);
            patchStart = q;
        }
    }

    /** The in-memory path, told to the listener as the streaming path tells it. */
    private static long replay(int[] ids, Patcher patcher, EntropyModel model, Chunking chunking, Listener listener) {
        Result r = inMemory(ids, patcher, model, chunking);
        int q = 0;
        for (int len : r.lengths()) {
            for (int i = 0; i < len; i++, q++)
                listener.position(q, ids[q], r.entropies() == null ? Float.NaN : r.entropies()[q], i == 0);
            listener.patch(len);
        }
        return ids.length;
    }

    /** BOS + every byte of in, refusing more than max bytes. */
    private static int[] readAll(InputStream in, Patcher patcher, long max, LongConsumer bytesRead) {
        int[] ids = new int[1 + BLOCK];
        ids[0] = ByteTokenizer.BOS_ID;
        int count = 1;
        byte[] block = new byte[BLOCK];
        for (int n; (n = read(in, block)) > 0; ) {
            if (count - 1 + (long) n > max)
                throw new Blt4jException("patching " + patcher + " looks ahead, so it needs the whole text in memory, and this"
                        + " heap holds at most " + max + " bytes of it: use entropy patching with a threshold (--threshold T),"
                        + " byte or space patching, or raise -Xmx in BLT4J_JAVA_OPTS");
            if (count + n > ids.length) ids = Arrays.copyOf(ids, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(count + n, 2L * ids.length)));
            for (int i = 0; i < n; i++) ids[count++] = ByteTokenizer.idOf(block[i]);
            bytesRead.accept(count - 1);
        }
        return Arrays.copyOf(ids, count);
    }

    private static int read(InputStream in, byte[] block) {
        try {
            return in.readNBytes(block, 0, block.length);
        } catch (IOException e) {
            throw new Blt4jException("cannot read the text: " + e.getMessage(), e);
        }
    }
}
