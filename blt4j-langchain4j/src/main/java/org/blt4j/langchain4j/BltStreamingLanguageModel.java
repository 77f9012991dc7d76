package org.blt4j.langchain4j;

import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.output.Response;
import java.util.concurrent.Executor;
import org.blt4j.Blt4jException;
import org.blt4j.api.Blt;
import org.blt4j.api.Generation;

/**
 * A BLT as a LangChain4j {@link StreamingLanguageModel}: the continuation goes to {@code onNext} piece by piece as it
 * forms (whole UTF-8 characters; text that could start a stop string is held back until decided), then
 * {@code onComplete} gets the whole text with usage in bytes and the finish reason, as {@link BltLanguageModel} gives
 * them; any error goes to {@code onError}. Runs on the calling thread unless an {@link Builder#executor executor} is
 * set. Thread-safe.
 */
public final class BltStreamingLanguageModel extends BltModelBase implements StreamingLanguageModel {
    private final Executor executor;

    private BltStreamingLanguageModel(Builder b) {
        super(b);
        this.executor = b.executor;
    }

    /** A builder: the model from folders or a shared {@link Blt}, the default options, an executor. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void generate(String prompt, StreamingResponseHandler<String> handler) {
        if (handler == null) throw new Blt4jException("the handler must not be null");
        submit(executor, () -> {
            Response<String> response;
            try {
                StringBuilder text = new StringBuilder();
                Generation g = blt.generate(prompt, defaults, piece -> {
                    text.append(piece);
                    handler.onNext(piece);
                });
                response = Response.from(text.toString(), usage(g), finishReason(g));
            } catch (Throwable e) {   // Errors thrown by a callback too: onError, once
                handler.onError(e);
                return;
            }
            handler.onComplete(response);   // what it throws is the handler's own: no onError after a completion
        }, handler::onError);
    }

    /** Builds a {@link BltStreamingLanguageModel}. */
    public static final class Builder extends BltBuilder<Builder> {
        private Executor executor = Runnable::run;

        private Builder() {}

        /** Where generation runs (default: on the thread that calls {@code generate}). */
        public Builder executor(Executor executor) {
            if (executor == null) throw new Blt4jException("executor must not be null");
            this.executor = executor;
            return this;
        }

        /** Loads the model (unless one was given) and makes the streaming language model. */
        public BltStreamingLanguageModel build() {
            return new BltStreamingLanguageModel(this);
        }
    }
}
