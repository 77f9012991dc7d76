package org.blt4j.langchain4j;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import org.blt4j.api.Blt;
import org.blt4j.api.Generation;
import java.util.List;

/**
 * A BLT as a LangChain4j {@link ChatModel}: the messages are rendered with the plain-text {@link ChatTemplate}
 * ({@code System: …} / {@code User: …} / {@code Assistant: …} blocks separated by blank lines, ending with
 * {@code "Assistant: "}) and the model continues it until {@code "\nUser:"}, a stop sequence, end-of-sequence or the
 * byte budget. The answer is what {@link Blt#generate(String, org.blt4j.api.GenerateOptions)} returns for that prompt,
 * as is. Request parameters: maxOutputTokens (bytes), temperature, topP, topK, stopSequences, and a seed through
 * {@link BltChatRequestParameters}; tools, a JSON response format and penalties are refused with LangChain4j's
 * {@link dev.langchain4j.exception.UnsupportedFeatureException}. Usage counts bytes. The builder's
 * {@link ChatModelListener}s see each request, response and error (LangChain4j calls them). Thread-safe.
 *
 * <pre>{@code
 * try (BltChatModel chat = BltChatModel.builder().modelDir("blt").entropyModelDir("entropy").maxBytes(200).build()) {
 *     System.out.println(chat.chat("Say hello."));
 * }
 * }</pre>
 */
public final class BltChatModel extends BltModelBase implements ChatModel {

    private final List<ChatModelListener> listeners;

    private BltChatModel(Builder b) {
        super(b);
        this.listeners = b.listeners();
    }

    /** A builder: the model from folders or a shared {@link Blt}, and the default options (the default parameters). */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest request) {
        ChatRequests.Call call = ChatRequests.of(request, defaults, blt.name());
        StringBuilder text = new StringBuilder();
        Generation g = blt.generate(call.prompt(), call.options(), text::append);
        return ChatRequests.response(text.toString(), g, blt.name());
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /** The builder's options as LangChain4j parameters (maxOutputTokens = maxBytes), seed included. */
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatRequests.parameters(defaults);
    }

    /** Builds a {@link BltChatModel}. */
    public static final class Builder extends ChatBuilder<Builder> {
        private Builder() {}

        /** Loads the model (unless one was given) and makes the chat model. */
        public BltChatModel build() {
            return new BltChatModel(this);
        }
    }
}
