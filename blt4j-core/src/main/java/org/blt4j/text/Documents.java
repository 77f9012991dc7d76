package org.blt4j.text;

import java.util.Arrays;

/** Documents of an id stream: a document ends at an EOS (inclusive), as the models' block-causal masks cut them. */
public final class Documents {
    private Documents() {}

    /** Start of every document of ids (documents end with {@link ByteTokenizer#EOS_ID}). */
    public static int[] starts(int[] ids) {
        return starts(ids, ByteTokenizer.EOS_ID);
    }

    /**
     * Start of every document of ids whose documents end with {@code eosId}: 0 and each position right after an EOS
     * (except the end). Sorted; starts with 0 for a non-empty stream.
     */
    public static int[] starts(int[] ids, int eosId) {
        int count = ids.length == 0 ? 0 : 1;
        for (int i = 0; i + 1 < ids.length; i++) if (ids[i] == eosId) count++;
        int[] starts = new int[count];
        int k = 0;
        if (ids.length > 0) starts[k++] = 0;
        for (int i = 0; i + 1 < ids.length; i++) if (ids[i] == eosId) starts[k++] = i + 1;
        return starts;
    }

    /** Start of the document that holds position i, given {@link #starts}. */
    public static int startOf(int[] starts, int i) {
        int k = Arrays.binarySearch(starts, i);
        return k >= 0 ? starts[k] : starts[-k - 2];
    }
}
