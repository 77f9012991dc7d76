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

    /**
     * Runs {@code task} on {@code executor}; only a task the executor refused (a shut-down pool) goes to
     * {@code onError}. A RejectedExecutionException thrown while the task ran in place (the default executor) is the
     * handler's own and propagates: it was taken for the executor's and sent to onError after the completion.
     */
    static void submit(java.util.concurrent.Executor executor, Runnable task, java.util.function.Consumer<Throwable> onError) {
        java.util.concurrent.atomic.AtomicBoolean started = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            executor.execute(() -> {
                started.set(true);
                task.run();
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            if (started.get()) throw e;
            onError.accept(e);
        }
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
