package org.blt4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.api.GenerateOptions;
import org.blt4j.api.Generation;

/** A chat request → the rendered prompt and the generate options; the generation → a chat response. */
final class ChatRequests {
    private ChatRequests() {}

    /** The rendered prompt and the options for it. */
    record Call(String prompt, GenerateOptions options) {}

    /** The model's defaults as LangChain4j parameters (maxOutputTokens = maxBytes; the template's stop is added later). */
    static BltChatRequestParameters parameters(GenerateOptions d) {
        return BltChatRequestParameters.builder().temperature(d.temperature()).topP(d.topP()).topK(d.topK())
                .maxOutputTokens(d.maxBytes()).stopSequences(d.stops()).seed(d.seed()).build();
    }

    /**
     * Checks the request and maps its parameters onto {@code defaults}: maxOutputTokens as maxBytes, temperature, topP,
     * topK, stopSequences (plus {@link ChatTemplate#STOP}) and a {@link BltChatRequestParameters#seed() seed}. Refuses
     * with {@link UnsupportedFeatureException} what a byte-level base model cannot honour: tools, a required tool
     * choice, a JSON response format, frequency and presence penalties, another model's name.
     */
    static Call of(ChatRequest request, GenerateOptions defaults, String modelName) {
        ChatRequestParameters p = request.parameters();
        if (p.modelName() != null && !p.modelName().equals(modelName))
            throw new UnsupportedFeatureException("modelName '" + p.modelName() + "': this model is '" + modelName
                    + "' (one loaded BLT per model object)");
        if (p.toolSpecifications() != null && !p.toolSpecifications().isEmpty())
            throw new UnsupportedFeatureException("tools are not supported: BLT checkpoints are base models");
        if (p.toolChoice() == ToolChoice.REQUIRED)
            throw new UnsupportedFeatureException("ToolChoice.REQUIRED is not supported: BLT checkpoints are base models");
        if (p.responseFormat() != null && p.responseFormat().type() == ResponseFormatType.JSON)
            throw new UnsupportedFeatureException("JSON response format is not supported: BLT generation is not constrained");
        if (p.frequencyPenalty() != null)
            throw new UnsupportedFeatureException("'frequencyPenalty' is not supported by blt4j's sampler");
        if (p.presencePenalty() != null)
            throw new UnsupportedFeatureException("'presencePenalty' is not supported by blt4j's sampler");
        GenerateOptions o = defaults;
        if (p.maxOutputTokens() != null) o = o.withMaxBytes(p.maxOutputTokens());
        if (p.temperature() != null) o = o.withTemperature(p.temperature());
        if (p.topP() != null) o = o.withTopP(p.topP());
        if (p.topK() != null) o = o.withTopK(p.topK());
        if (p instanceof BltChatRequestParameters b && b.seed() != null) o = o.withSeed(b.seed());
        List<String> stops = new ArrayList<>(p.stopSequences() == null || p.stopSequences().isEmpty()
                ? defaults.stops() : p.stopSequences());
        if (!stops.contains(ChatTemplate.STOP)) stops.add(ChatTemplate.STOP);
        return new Call(ChatTemplate.render(request.messages()), o.withStops(stops.toArray(String[]::new)));
    }

    /** The answer as an AI message with usage in bytes and the finish reason. */
    static ChatResponse response(String text, Generation g, String modelName) {
        return ChatResponse.builder().aiMessage(AiMessage.from(text)).modelName(modelName)
                .tokenUsage(BltModelBase.usage(g)).finishReason(BltModelBase.finishReason(g)).build();
    }
}
