package org.blt4j.langchain4j;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;
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
 * cancels: once {@code cancel()} returns no callback starts, and generation stops at the next piece. Runs on the
 * calling thread unless an {@link Builder#executor executor} is set. Thread-safe.
 */
public final class BltStreamingChatModel extends BltModelBase implements StreamingChatModel {
    private final Executor executor;

    private BltStreamingChatModel(Builder b) {
        super(b);
        this.executor = b.executor;
    }

    /** A builder: the model from folders or a shared {@link Blt}, the default options, an executor. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest request, StreamingChatResponseHandler handler) {
        if (handler == null) throw new Blt4jException("the handler must not be null");
        try {
            executor.execute(() -> run(request, handler));
        } catch (RejectedExecutionException e) {   // a shut-down pool: an error like any other
            handler.onError(e);
        }
    }

    /**
     * One answer. Errors of any kind (an Error thrown by a callback included) go to onError, once; an exception thrown
     * by onCompleteResponse is the handler's own and propagates (nothing follows a completion). Callbacks run under the
     * handle's lock, so once {@link Handle#cancel()} has returned none starts.
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
                handle.lock.lock();
                try {
                    if (handle.cancelled) throw new Cancelled();
                    handler.onPartialResponse(new PartialResponse(piece), context);
                } finally {
                    handle.lock.unlock();
                }
                if (handle.cancelled) throw new Cancelled();
            });
            response = ChatRequests.response(text.toString(), g, blt.name());
        } catch (Cancelled c) {
            return;   // cancelled through the handle: no more calls
        } catch (Throwable e) {
            handle.lock.lock();
            try {
                if (!handle.cancelled) handler.onError(e);
            } finally {
                handle.lock.unlock();
            }
            return;
        }
        handle.lock.lock();
        try {
            if (!handle.cancelled) handler.onCompleteResponse(response);
        } finally {
            handle.lock.unlock();
        }
    }

    /** The builder's options as LangChain4j parameters (maxOutputTokens = maxBytes), seed included. */
    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return ChatRequests.parameters(defaults);
    }

    /**
     * Cancels one streamed answer. {@link #cancel()} waits for a callback running on another thread to return; from
     * then on no callback starts (from inside a callback it returns at once).
     */
    private static final class Handle implements StreamingHandle {
        final ReentrantLock lock = new ReentrantLock();
        volatile boolean cancelled;

        @Override
        public void cancel() {
            lock.lock();
            try {
                cancelled = true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }
    }

    /** Thrown from the text callback to end a cancelled generation. */
    private static final class Cancelled extends RuntimeException {
        Cancelled() {
            super(null, null, false, false);
        }
    }

    /** Builds a {@link BltStreamingChatModel}. */
    public static final class Builder extends BltBuilder<Builder> {
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
