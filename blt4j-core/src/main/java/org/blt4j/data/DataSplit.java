package org.blt4j.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;

/**
 * A deterministic train / held-out split that holds out the last fraction of the corpus's BYTES, in document order
 * (no shuffling: for the State of the Union corpus, the most recent addresses are held out).
 *
 * <p>The cut lies at byte {@code floor(total · (1 - heldOutFraction))} of the concatenated documents, moved back to a
 * UTF-8 character boundary. The document it falls in is cut in two: its head ends the training set, its tail starts
 * the held-out set (each becomes a document of its own, with its own BOS/EOS once encoded). Documents are not copied
 * except the one that is cut.
 */
public record DataSplit(List<byte[]> train, List<byte[]> heldOut) {

    public DataSplit {
        train = List.copyOf(train);
        heldOut = List.copyOf(heldOut);
    }

    /** Holds out the last {@code heldOutFraction} (in [0, 1)) of the bytes of {@code docs}. */
    public static DataSplit split(List<byte[]> docs, double heldOutFraction) {
        if (!(heldOutFraction >= 0 && heldOutFraction < 1))
            throw new Blt4jException("held-out fraction must be in [0, 1), got " + heldOutFraction);
        long total = Corpus.totalBytes(docs);
        long cut = (long) Math.floor(total * (1 - heldOutFraction));
        List<byte[]> train = new ArrayList<>(), heldOut = new ArrayList<>();
        long offset = 0;
        for (byte[] d : docs) {
            long end = offset + d.length;
            if (end <= cut) train.add(d);
            else if (offset >= cut) heldOut.add(d);
            else {
                int at = charBoundary(d, (int) (cut - offset));
                if (at > 0) train.add(Arrays.copyOfRange(d, 0, at));
                if (at < d.length) heldOut.add(Arrays.copyOfRange(d, at, d.length));
            }
            offset = end;
        }
        return new DataSplit(train, heldOut);
    }

    /** Bytes in the held-out documents. */
    public long heldOutBytes() {
        return Corpus.totalBytes(heldOut);
    }

    /** Bytes in the training documents. */
    public long trainBytes() {
        return Corpus.totalBytes(train);
    }

    /** The largest position ≤ at that does not fall inside a UTF-8 sequence (not on a continuation byte). */
    private static int charBoundary(byte[] d, int at) {
        int i = at;
        while (i > 0 && i < d.length && (d[i] & 0xC0) == 0x80 && at - i < 3) i--;
        return (i < d.length && (d[i] & 0xC0) == 0x80) ? at : i;
    }
}
