package org.blt4j.api;

/**
 * What one {@link Blt#generate(String, GenerateOptions, java.util.function.Consumer)} call did: the bytes the model
 * read and produced, and why it stopped (for usage accounting, e.g. the LangChain4j provider's token usage).
 *
 * @param promptBytes    prompt bytes the model read (BOS not counted): all of them, or the last ones that fit the context
 * @param droppedBytes   prompt bytes cut from the front to fit the context (0 when the prompt fits)
 * @param generatedBytes ids the model generated: the text's bytes, a stop string's bytes and a final EOS; at most
 *                       {@link GenerateOptions#maxBytes()}
 * @param finish         why generation ended
 */
public record Generation(int promptBytes, long droppedBytes, int generatedBytes, Finish finish) {

    /** Why generation ended. */
    public enum Finish {
        /** the model produced end-of-sequence (with {@link GenerateOptions#stopAtEos()}) */
        EOS,
        /** the output contained a stop string (not returned) */
        STOP_STRING,
        /** {@link GenerateOptions#maxBytes()} bytes were generated */
        LENGTH
    }
}
