package org.blt4j.train;

import java.util.Arrays;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;

/**
 * The training token stream: every document encoded as {@code BOS, bytes+4, EOS}, concatenated in order. Documents
 * end at an EOS (inclusive), as the models' block-causal masks cut them (SPEC §4).
 */
public final class TokenStream {
    private TokenStream() {}

    /** [Σ (len + 2)] ids: BOS + bytes + EOS per document. */
    public static int[] encode(List<byte[]> docs) {
        long n = 0;
        for (byte[] d : docs) n += d.length + 2L;
        if (n > Integer.MAX_VALUE - 16)
            throw new Blt4jException("corpus too large: " + n + " tokens; blt4j holds a training stream in one int array"
                    + " (at most ~2.1 billion tokens); train on a part of it");
        int[] ids = new int[(int) n];
        int k = 0;
        for (byte[] d : docs) {
            ids[k++] = ByteTokenizer.BOS_ID;
            for (byte b : d) ids[k++] = ByteTokenizer.idOf(b);
            ids[k++] = ByteTokenizer.EOS_ID;
        }
        return ids;
    }

    /**
     * Start of every document of ids: 0 and each position right after an EOS (except the end). Sorted, starts with 0
     * for a non-empty stream.
     */
    public static int[] docStarts(int[] ids) {
        return docStarts(ids, ByteTokenizer.EOS_ID);
    }

    /** Same, for documents that end with {@code eosId}. */
    public static int[] docStarts(int[] ids, int eosId) {
        int count = ids.length == 0 ? 0 : 1;
        for (int i = 0; i + 1 < ids.length; i++) if (ids[i] == eosId) count++;
        int[] starts = new int[count];
        int k = 0;
        if (ids.length > 0) starts[k++] = 0;
        for (int i = 0; i + 1 < ids.length; i++) if (ids[i] == eosId) starts[k++] = i + 1;
        return starts;
    }

    /** Start of the document that holds position i, given {@link #docStarts}. */
    static int docStartOf(int[] docStarts, int i) {
        int k = Arrays.binarySearch(docStarts, i);
        return k >= 0 ? docStarts[k] : docStarts[-k - 2];
    }
}
