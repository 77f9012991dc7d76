package org.blt4j.token;

/**
 * Bytes to token ids and back, for the token-level baseline LM. Every byte sequence is encodable (no unknown token)
 * and {@code decode(encode(b))} equals {@code b} exactly, invalid UTF-8 included.
 */
public interface Tokenizer {
    /** Token ids of {@code bytes}, each in [0, vocabSize()). */
    int[] encode(byte[] bytes);

    /** The bytes of {@code ids}; an id outside [0, vocabSize()) is an error. */
    byte[] decode(int[] ids);

    /** Number of ids (ranks 0..vocabSize()-1); the LM's embedding and output sizes. */
    int vocabSize();
}
