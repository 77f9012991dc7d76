package org.blt4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /v1/completions cuts a prompt longer than the model's context (1024 ids, BOS included) and says so. */
class PromptTruncationTest {
    @Test
    void theResponseSaysHowManyPromptBytesWereDropped() throws Exception {
        ServerLimits limits = new ServerLimits(8192, 64, 8, 2, 4, 60_000, 300_000, 65536, ServerLimits.threadsFor(2, 4));
        try (BltServer s = BltServer.start(TestModels.get(), limits, "127.0.0.1", 0, true, line -> {})) {
            String longPrompt = "x".repeat(977) + "The quick brown fox jumps over the lazy dog. ".repeat(50);  // 3227 bytes
            String tail = longPrompt.substring(longPrompt.length() - 1023);
            JsonNode cut = post(s, longPrompt), same = post(s, tail);
            assertTrue(cut.get("prompt_truncated").asBoolean(), cut.toString());
            assertEquals(longPrompt.length() - 1023, cut.get("prompt_bytes_dropped").asLong());
            assertFalse(same.get("prompt_truncated").asBoolean());
            assertEquals(0, same.get("prompt_bytes_dropped").asLong());
            assertEquals(same.get("choices").get(0).get("text"), cut.get("choices").get(0).get("text"));
            assertEquals(1023, cut.get("usage").get("prompt_tokens").asInt(), "prompt_tokens counts the bytes the model read");
            assertEquals(same.get("usage"), cut.get("usage"));
        }
    }

    static JsonNode post(BltServer s, String prompt) throws Exception {
        String body = BltServerTest.JSON.writeValueAsString(java.util.Map.of("prompt", prompt, "max_tokens", 8, "temperature", 0));
        BltServerTest.Answer a = BltServerTest.send(s, "POST", "/v1/completions", HttpRequest.BodyPublishers.ofString(body));
        assertEquals(200, a.status(), a.raw().body());
        return a.json();
    }
}
