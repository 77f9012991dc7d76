package org.blt4j.data;

import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.token.Tokenizer;

/**
 * The token LM's training and held-out stream: every document encoded as {@code BOS, tokens of its bytes, EOS},
 * concatenated in order, with the byte count of every id so that bits per byte divides by the bytes of the same text.
 *
 * <p>Id space (the LM's vocabulary = tokenizer vocab + {@link #OFFSET}): ids 0..3 are the byte LM's specials (BOE 0,
 * BOS 1, EOS 2, delimiter 3; only BOS and EOS occur) and tokenizer token t is id t + 4, as byte b is id b + 4 in the
 * byte LM; so the model's {@code eos_id} stays 2 and its block-causal mask cuts documents as in the byte LM.
 */
public final class TokenIdStream {
    /** Ids below this are special; token t is id t + OFFSET. */
    public static final int OFFSET = 4;

    /** ids [N] and byteLengths[id] (0 for the specials): Σ over the ids of a document's tokens = its bytes. */
    public record Stream(int[] ids, int[] byteLengths, long bytes) {
        /** Bytes of text that the target ids y stand for. */
        public long bytesOf(int[] y) {
            long n = 0;
            for (int t : y) n += byteLengths[t];
            return n;
        }
    }

    private TokenIdStream() {}

    /** The LM's vocabulary size for this tokenizer. */
    public static int vocabSize(Tokenizer tok) { return tok.vocabSize() + OFFSET; }

    /** [vocabSize(tok)] bytes each id stands for: 0 for the specials, the decoded length of its token otherwise. */
    public static int[] byteLengths(Tokenizer tok) {
        int[] len = new int[vocabSize(tok)];
        for (int t = 0; t < tok.vocabSize(); t++) len[t + OFFSET] = tok.decode(new int[] {t}).length;
        return len;
    }

    /** BOS + tokens + EOS per document, in order. */
    public static Stream encode(List<byte[]> docs, Tokenizer tok) {
        int[][] parts = new int[docs.size()][];
        long n = 0, bytes = 0;
        for (int d = 0; d < parts.length; d++) {
            parts[d] = tok.encode(docs.get(d));
            n += parts[d].length + 2L;
            bytes += docs.get(d).length;
        }
        if (n > Integer.MAX_VALUE - 16)
            throw new Blt4jException("corpus too large: " + n + " tokens; blt4j holds a training stream in one int array;"
                    + " train on a part of it");
        int[] ids = new int[(int) n];
        int k = 0;
        for (int[] p : parts) {
            ids[k++] = ByteTokenizer.BOS_ID;
            for (int t : p) ids[k++] = t + OFFSET;
            ids[k++] = ByteTokenizer.EOS_ID;
        }
        return new Stream(ids, byteLengths(tok), bytes);
    }
}
