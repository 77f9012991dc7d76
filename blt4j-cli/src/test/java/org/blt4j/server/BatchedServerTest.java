package org.blt4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

/**
 * Concurrent clients on a server that batches (--max-batch 3, 5 admitted: two wait for a row): every answer, streamed
 * or not, equals what a server without batching gives (all fields but id and created, every streamed event), and its
 * text equals greedy generation alone without the server.
 */
class BatchedServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ServerLimits LIMITS = new ServerLimits(256, 64, 8, 5, 8, 60_000, 300_000, 4096, ServerLimits.threadsFor(5, 8));
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    record Ask(String prompt, int maxTokens, boolean ignoreEos, String stop, boolean stream) {
        String body() {
            ObjectNode b = JSON.createObjectNode().put("prompt", prompt).put("max_tokens", maxTokens).put("temperature", 0)
                    .put("ignore_eos", ignoreEos).put("stream", stream);
            if (stop != null) b.putArray("stop").add(stop);
            return b.toString();
        }
    }

    static final List<Ask> ASKS = List.of(
            new Ask("Hello, BLT", 64, true, null, false),
            new Ask("The quick brown fox jumps over the lazy dog. The", 40, true, null, true),
            new Ask("a", 64, false, null, true),
            new Ask("héllo wörld, naïve café ", 50, true, "e", false),
            new Ask("日本語のテキスト and more text to read first", 64, true, null, true),
            new Ask("Once upon a time", 30, false, " ", false),
            new Ask("xyz", 64, true, null, false));

    /** The answer without id and created: the events of a stream (each without them), or the one JSON object. */
    static List<JsonNode> answer(BltServer s, Ask a) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(s.uri().resolve("/v1/completions")).timeout(Duration.ofSeconds(120))
                .POST(HttpRequest.BodyPublishers.ofString(a.body())).header("Content-Type", "application/json").build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        List<JsonNode> out = new ArrayList<>();
        if (!a.stream()) out.add(JSON.readTree(r.body()));
        else
            for (String ev : r.body().split("\n\n"))
                out.add(ev.equals("data: [DONE]") ? JSON.getNodeFactory().textNode("[DONE]") : JSON.readTree(ev.substring(6)));
        for (JsonNode j : out)
            if (j instanceof ObjectNode o) {
                assertNotNull(o.remove("id"));
                assertNotNull(o.remove("created"));
            }
        return out;
    }

    static String text(List<JsonNode> answer) {
        StringBuilder b = new StringBuilder();
        for (JsonNode j : answer) if (j.has("choices")) b.append(j.get("choices").get(0).get("text").asText());
        return b.toString();
    }

    static String alone(LoadedModels m, Ask a) {
        CompletionStream cs = new CompletionStream(m.eosId(), !a.ignoreEos(),
                new StopStrings(a.stop() == null ? List.of() : List.of(a.stop())), null, null);
        m.generator(false).generate(ByteTokenizer.encode(a.prompt(), true, false), a.maxTokens(), Sampler.greedy(),
                !a.ignoreEos(), cs);
        cs.finish();
        return cs.text();
    }

    @Test
    void concurrentClientsGetWhatTheyGetAlone() throws Exception {
        LoadedModels m = TestModels.get();
        List<List<JsonNode>> expected = new ArrayList<>();
        try (BltServer plain = BltServer.start(m, LIMITS, "127.0.0.1", 0, true, 1, line -> {})) {
            assertFalse(plain.batching());
            for (Ask a : ASKS) expected.add(answer(plain, a));
        }
        for (int i = 0; i < ASKS.size(); i++) assertEquals(alone(m, ASKS.get(i)), text(expected.get(i)), "ask " + i);
        try (BltServer batched = BltServer.start(m, LIMITS, "127.0.0.1", 0, true, 3, line -> {});
             ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor()) {
            assertTrue(batched.batching());
            // rounds of concurrent clients until some steps decoded several of them together (the first, usually)
            for (int round = 0; round < 5 && batched.batcher().rowSteps() <= batched.batcher().steps(); round++) {
                List<CompletableFuture<List<JsonNode>>> got = new ArrayList<>();
                for (Ask a : ASKS) got.add(CompletableFuture.supplyAsync(() -> {  // a thread per client
                    try {
                        return answer(batched, a);
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, clients));
                for (int i = 0; i < ASKS.size(); i++) assertEquals(expected.get(i), got.get(i).get(), "ask " + i + " batched");
            }
            assertTrue(batched.batcher().rowSteps() > batched.batcher().steps(), "no two generations were ever batched");
        }
    }

    @Test
    void maxBatchOneAndUncachedDoNotBatch() throws Exception {
        LoadedModels m = TestModels.get();
        try (BltServer s = BltServer.start(m, LIMITS, "127.0.0.1", 0, false, 8, line -> {})) {
            assertNull(s.batcher());
        }
    }
}
