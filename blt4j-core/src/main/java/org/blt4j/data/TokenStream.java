package org.blt4j.data;

import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;

/**
 * The training token stream: every document encoded as {@code BOS, bytes+4, EOS}, concatenated in order. Documents
 * end at an EOS (inclusive), as the models' block-causal masks cut them (docs/computation.md §4).
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
        int[] ids;
        try {
            ids = new int[(int) n];
        } catch (OutOfMemoryError e) {   // one array, refused whole: nothing else was taken
            throw new Blt4jException(String.format("corpus too large for the heap: %,d bytes become %,d MB of token ids (4 bytes"
                    + " each), beside the text, in a heap of %,d MB (Runtime.maxMemory); give the JVM more (-Xmx, BLT4J_JAVA_OPTS)"
                    + " or use a part of it", n, 4L * n >> 20, Runtime.getRuntime().maxMemory() >> 20));
        }
        int k = 0;
        for (byte[] d : docs) {
            ids[k++] = ByteTokenizer.BOS_ID;
            for (byte b : d) ids[k++] = ByteTokenizer.idOf(b);
            ids[k++] = ByteTokenizer.EOS_ID;
        }
        return ids;
    }

}
