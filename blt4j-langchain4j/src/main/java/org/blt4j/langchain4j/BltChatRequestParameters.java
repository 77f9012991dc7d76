package org.blt4j.langchain4j;

import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.DefaultChatRequestParameters;
import java.util.Objects;

/**
 * LangChain4j's chat request parameters plus the sampler's {@link #seed()}: the same seed, messages and parameters
 * give the same answer. Use it as a request's parameters, e.g.
 * {@code ChatRequest.builder().messages(...).parameters(BltChatRequestParameters.builder().temperature(0.8).seed(7L).build())}.
 */
public final class BltChatRequestParameters extends DefaultChatRequestParameters {
    private final Long seed;

    private BltChatRequestParameters(Builder b) {
        super(b);
        this.seed = b.seed;
    }

    /** The sampler's seed; null = the model's default. */
    public Long seed() {
        return seed;
    }

    /** These parameters with {@code that}'s non-null values (and seed) on top. */
    @Override
    public ChatRequestParameters overrideWith(ChatRequestParameters that) {
        return builder().overrideWith(this).overrideWith(that).build();
    }

    /** {@code that}'s values with these (and this seed) on top. */
    @Override
    public ChatRequestParameters defaultedBy(ChatRequestParameters that) {
        return builder().overrideWith(that).overrideWith(this).build();
    }

    @Override
    public boolean equals(Object o) {
        return super.equals(o) && Objects.equals(seed, ((BltChatRequestParameters) o).seed);
    }

    @Override
    public int hashCode() {
        return 31 * super.hashCode() + Objects.hashCode(seed);
    }

    @Override
    public String toString() {
        return "BltChatRequestParameters{seed=" + seed + ", " + super.toString() + "}";
    }

    /** An empty builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link BltChatRequestParameters}: LangChain4j's parameters and a seed. */
    public static final class Builder extends DefaultChatRequestParameters.Builder<Builder> {
        private Long seed;

        private Builder() {}

        /** Takes the non-null values of {@code parameters}, their seed too when they are {@link BltChatRequestParameters}. */
        @Override
        public Builder overrideWith(ChatRequestParameters parameters) {
            super.overrideWith(parameters);
            if (parameters instanceof BltChatRequestParameters b && b.seed != null) seed = b.seed;
            return this;
        }

        /** The sampler's seed (null = the model's default). */
        public Builder seed(Long seed) {
            this.seed = seed;
            return this;
        }

        @Override
        public BltChatRequestParameters build() {
            return new BltChatRequestParameters(this);
        }
    }
}
