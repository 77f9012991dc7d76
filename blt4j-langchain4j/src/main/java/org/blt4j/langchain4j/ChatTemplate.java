package org.blt4j.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import java.util.ArrayList;
import java.util.List;

/**
 * The plain-text chat template of {@link BltChatModel} and {@link BltStreamingChatModel}. BLT checkpoints are base
 * models with no chat format of their own, so messages become blocks a base model can continue:
 *
 * <pre>
 * System: {system text}
 *
 * User: {user text}
 *
 * Assistant: {assistant text}
 *
 * User: {user text}
 *
 * Assistant: </pre>
 *
 * Each message is one block {@code ROLE + ": " + text}, in order, blocks separated by a blank line ({@code "\n\n"}); the
 * prompt ends with the block {@code "Assistant: "}, which the model continues. Texts are copied as they are (a user
 * message's several text contents joined by {@code "\n"}; a user's name is not rendered). Generation stops at
 * {@link #STOP} ({@code "\nUser:"}), the start of a next user block, which is not returned.
 *
 * <p>System, user (text only) and assistant (text only) messages are rendered; any other message or content (tool
 * results, tool calls, images, custom messages) is refused with LangChain4j's {@link UnsupportedFeatureException}.
 */
public final class ChatTemplate {
    /** Where the answer ends: the start of the next user block. */
    public static final String STOP = "\nUser:";
    /** The block the model continues. */
    public static final String ASSISTANT = "Assistant: ";

    private ChatTemplate() {}

    /** The prompt for these messages (at least one), ending with {@link #ASSISTANT}. */
    public static String render(List<ChatMessage> messages) {
        if (messages == null || messages.isEmpty()) throw new IllegalArgumentException("messages must not be empty");
        StringBuilder p = new StringBuilder();
        for (ChatMessage m : messages) {
            switch (m) {
                case SystemMessage s -> p.append("System: ").append(s.text());
                case UserMessage u -> p.append("User: ").append(text(u));
                case AiMessage a -> {
                    if (a.hasToolExecutionRequests())
                        throw new UnsupportedFeatureException("tool calls are not supported by the BLT chat template");
                    p.append(ASSISTANT).append(a.text() == null ? "" : a.text());
                }
                case null -> throw new IllegalArgumentException("messages must not contain null");
                default -> throw new UnsupportedFeatureException(m.type() + " messages are not supported by the BLT "
                        + "chat template (system, user and assistant messages only)");
            }
            p.append("\n\n");
        }
        return p.append(ASSISTANT).toString();
    }

    private static String text(UserMessage u) {
        List<String> texts = new ArrayList<>();
        for (Content c : u.contents()) {
            if (!(c instanceof TextContent t))
                throw new UnsupportedFeatureException(c.type().toString().toLowerCase(java.util.Locale.ROOT)
                        + " content is not supported by the BLT chat template (text only)");
            texts.add(t.text());
        }
        return String.join("\n", texts);
    }
}
