package org.blt4j.langchain4j;

import dev.langchain4j.model.chat.ChatRequestOptions;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.blt4j.Blt4jException;
import org.blt4j.api.Blt;
import org.blt4j.api.Generation;

/**
 * A BLT as a LangChain4j {@link StreamingChatModel}: the messages, parameters and answer of {@link BltChatModel}, the
 * answer delivered to {@code onPartialResponse} piece by piece as it forms (whole UTF-8 characters; text that could
 * start a stop sequence is held back until decided), then {@code onCompleteResponse} with the whole answer, usage in
 * bytes and the finish reason. Every error, a refused parameter, an {@code Error} thrown by a callback and a rejected
 * executor included, goes to {@code onError}, and nothing follows it; nothing follows {@code onCompleteResponse} either
 * (an exception it throws is the handler's own and propagates). The {@link StreamingHandle} given with each piece
 * cancels: once {@code cancel()} returns no callback starts (it does not wait for one in progress), and generation stops
 * at the next piece. Runs on the calling thread unless an {@link Builder#executor executor} is set. The builder's
 * {@link ChatModelListener}s see each request, response and error (LangChain4j calls them). Thread-safe.
 */
public final class BltStreamingChatModel extends BltModelBase implements StreamingChatModel {
    private final Executor executor;
    private final List<ChatModelListener> listeners;

    private BltStreamingChatModel(Builder b) {
        super(b);
        this.executor = b.executor;
        this.listeners = b.listeners();
    }

    /** A builder: the model from folders or a shared {@link Blt}, the default options, an executor. */
    public static Builder builder() {
        return new Builder();
    }

    /** Checks the handler before LangChain4j wraps it for its listeners (a null one would fail only at the end). */
    @Override
    public void chat(ChatRequest request, ChatRequestOptions options, StreamingChatResponseHandler handler) {
        if (handler == null) throw new Blt4jException("the handler must not be null");
        StreamingChatModel.super.chat(request, options, handler);
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        if (handler == null) throw new Blt4jException("the handler must not be null");
        submit(executor, () -> run(request, handler), handler::onError);
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    /**
     * One answer. Errors of any kind (an Error thrown by a callback included) go to onError, once; an exception thrown
     * by onCompleteResponse is the handler's own and propagates (nothing follows a completion). Each callback starts
     * only through {@link Handle#enter()}, so once {@link Handle#cancel()} has returned none starts.
     */
    private void run(ChatRequest request, StreamingChatResponseHandler handler) {
        Handle handle = new Handle();
        StringBuilder text = new StringBuilder();
        dev.langchain4j.model.chat.response.ChatResponse response;
        try {
            ChatRequests.Call call = ChatRequests.of(request, defaults, blt.name());
            PartialResponseContext context = new PartialResponseContext(handle);
            Generation g = blt.generate(call.prompt(), call.options(), piece -> {
                text.append(piece);
                if (!handle.enter()) throw new Cancelled();
                try {
                    handler.onPartialResponse(new PartialResponse(piece), context);
                } finally {
                    handle.leave();
                }
                if (handle.isCancelled()) throw new Cancelled();
            });
            response = ChatRequests.response(text.toString(), g, blt.name());
        } catch (Cancelled c) {
            return;   // cancelled through the handle: no more calls
        } catch (Throwable e) {
            if (handle.enter()) handler.onError(e);   // the last callback: no leave()
            return;
        }
        if (handle.enter()) handler.onCompleteResponse(response);
    }

    /** The builder's options as LangChain4j parameters (maxOutputTokens = maxBytes), seed included. */
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatRequests.parameters(defaults);
    }

    /**
     * Cancels one streamed answer: IDLE -> IN_CALLBACK (a callback starts) -> IDLE (it returned), and CANCELLED from
     * either, for good. {@link #cancel()} returns at once, from any thread (it took a lock that callbacks held, so a
     * callback that waited for the cancelling thread deadlocked); a callback starts only by moving IDLE to IN_CALLBACK,
     * which fails once cancel() has run, and one in progress finishes.
     */
    private static final class Handle implements StreamingHandle {
        private static final int IDLE = 0, IN_CALLBACK = 1, CANCELLED = 2;
        private final AtomicInteger state = new AtomicInteger(IDLE);

        /** @return whether a callback may start now (false once cancelled) */
        boolean enter() {
            return state.compareAndSet(IDLE, IN_CALLBACK);
        }

        void leave() {
            state.compareAndSet(IN_CALLBACK, IDLE);   // fails when cancelled meanwhile: it stays CANCELLED
        }

        @Override
        public void cancel() {
            state.set(CANCELLED);
        }

        @Override
        public boolean isCancelled() {
            return state.get() == CANCELLED;
        }
    }

    /** Thrown from the text callback to end a cancelled generation. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    /** Builds a {@link BltStreamingChatModel}. */
    public static final class Builder extends ChatBuilder<Builder> {
        private Executor executor = Runnable::run;

        private Builder() {}

        /** Where generation runs (default: on the thread that calls {@code chat}). */
        public Builder executor(Executor executor) {
            if (executor == null) throw new Blt4jException("executor must not be null");
            this.executor = executor;
            return this;
        }

        /** Loads the model (unless one was given) and makes the streaming chat model. */
        public BltStreamingChatModel build() {
            return new BltStreamingChatModel(this);
        }
    }
}
