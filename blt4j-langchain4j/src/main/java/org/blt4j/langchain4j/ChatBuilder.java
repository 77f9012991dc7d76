package org.blt4j.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import java.util.List;
import org.blt4j.Blt4jException;

/**
 * What the two chat models' builders add to {@link BltBuilder}: LangChain4j's {@link ChatModelListener}s (logging,
 * metrics, tracing), which LangChain4j calls around each chat request. The language models have none: LangChain4j's
 * {@code LanguageModel} takes no listeners.
 *
 * @param <B> the concrete builder
 */
public abstract class ChatBuilder<B extends ChatBuilder<B>> extends BltBuilder<B> {
    private List<ChatModelListener> listeners = List.of();

    ChatBuilder() {}

    /** Listeners called by LangChain4j on each request, response and error (default: none). */
    @SuppressWarnings("unchecked")
    public B listeners(List<ChatModelListener> listeners) {
        if (listeners == null || listeners.stream().anyMatch(java.util.Objects::isNull))
            throw new Blt4jException("listeners must be a list without nulls (use List.of() for none)");
        this.listeners = List.copyOf(listeners);
        return (B) this;
    }

    List<ChatModelListener> listeners() {
        return listeners;
    }
}
