package org.blt4j.langchain4j;

import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.output.Response;
import org.blt4j.api.Blt;
import org.blt4j.api.Generation;

/**
 * A BLT as a LangChain4j {@link LanguageModel}: {@code generate(prompt)} continues the prompt with the builder's options
 * and returns the continuation (without the prompt, cut before a stop string), its {@link dev.langchain4j.model.output.TokenUsage}
 * in bytes (input = prompt bytes the model read, output = ids generated: text, stop string and EOS bytes) and its
 * {@link dev.langchain4j.model.output.FinishReason} (STOP for EOS or a stop string, LENGTH for {@code maxBytes}).
 *
 * <pre>{@code
 * try (BltLanguageModel model = BltLanguageModel.builder().modelDir("blt").entropyModelDir("entropy")
 *         .temperature(0).maxBytes(64).build()) {
 *     System.out.println(model.generate("The ").content());
 * }
 * }</pre>
 *
 * Thread-safe, as {@link Blt} is.
 */
public final class BltLanguageModel extends BltModelBase implements LanguageModel {

    private BltLanguageModel(Builder b) {
        super(b);
    }

    /** A builder: the model from folders or a shared {@link Blt}, and the default options. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Response<String> generate(String prompt) {
        StringBuilder text = new StringBuilder();
        Generation g = blt.generate(prompt, defaults, text::append);
        return Response.from(text.toString(), usage(g), finishReason(g));
    }

    /** Builds a {@link BltLanguageModel}. */
    public static final class Builder extends BltBuilder<Builder> {
        private Builder() {}

        /** Loads the model (unless one was given) and makes the language model. */
        public BltLanguageModel build() {
            return new BltLanguageModel(this);
        }
    }
}
