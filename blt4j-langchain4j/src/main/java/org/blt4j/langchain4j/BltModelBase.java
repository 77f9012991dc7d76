package org.blt4j.langchain4j;

import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.blt4j.api.Generation;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;

/** What the four models share: the {@link Blt}, whether they own it, the default options, and the usage mapping. */
abstract class BltModelBase implements AutoCloseable {
    final Blt blt;
    final GenerateOptions defaults;
    private final boolean owned;

    BltModelBase(BltBuilder<?> b) {
        this.defaults = b.options();
        this.owned = !b.shared();
        this.blt = b.open();
    }

    /** The underlying model (for patching or scoring text); owned by this model unless given with {@code blt(...)}. */
    public Blt blt() {
        return blt;
    }

    /** Closes the {@link Blt} when this model loaded it; a shared one stays open. */
    @Override
    public void close() {
        if (owned) blt.close();
    }

    /** Usage in bytes: input = prompt bytes the model read, output = ids it generated (stop string and EOS included). */
    static TokenUsage usage(Generation g) {
        return new TokenUsage(g.promptBytes(), g.generatedBytes());
    }

    /** EOS and a stop string: STOP; the byte budget: LENGTH. */
    static FinishReason finishReason(Generation g) {
        return switch (g.finish()) {
            case EOS, STOP_STRING -> FinishReason.STOP;
            case LENGTH -> FinishReason.LENGTH;
        };
    }
}
