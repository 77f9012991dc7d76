package org.blt4j.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The server on an ephemeral port with the tiny golden models: endpoints, errors, limits. */
class BltServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ServerLimits LIMITS = new ServerLimits(256, 64, 8, 2, 4, 60_000, 300_000, 4096, ServerLimits.threadsFor(2, 4));
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final List<String> LOG = new CopyOnWriteArrayList<>();
    static LoadedModels models;
    static BltServer server;

    @BeforeAll
    static void start() throws IOException {
        models = TestModels.get();
        server = BltServer.start(models, LIMITS, "127.0.0.1", 0, true, LOG::add);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    record Answer(int status, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return JSON.readTree(raw.body());
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + raw.body(), e);
            }
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    static Answer send(BltServer s, String method, String path, HttpRequest.BodyPublisher body) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(s.uri().resolve(path)).timeout(Duration.ofSeconds(60))
                .method(method, body).header("Content-Type", "application/json").build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r);
    }

    static Answer answer(HttpRequest req) throws Exception {
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r);
    }

    static Answer post(String path, String body) throws Exception {
        return send(server, "POST", path, HttpRequest.BodyPublishers.ofString(body));
    }

    static Answer get(String path) throws Exception {
        return send(server, "GET", path, HttpRequest.BodyPublishers.noBody());
    }

    /** What greedy generation gives without the server. */
    static String greedy(String prompt, int maxBytes, List<String> stops) {
        CompletionStream cs = new CompletionStream(models.eosId(), true, new StopStrings(stops), null, null);
        models.generator(false).generate(ByteTokenizer.encode(prompt, true, false), maxBytes, Sampler.greedy(), true, cs);
        cs.finish();
        return cs.text();
    }

    @Test
    void completion() throws Exception {
        Answer a = post("/v1/completions", "{\"prompt\": \"Hello, BLT\", \"max_tokens\": 12, \"temperature\": 0}");
        assertEquals(200, a.status(), a.raw().body());
        assertTrue(a.header("Content-Type").startsWith("application/json"));
        JsonNode j = a.json();
        assertEquals("text_completion", j.get("object").asText());
        assertTrue(j.get("id").asText().startsWith("cmpl-"));
        assertEquals("blt_base", j.get("model").asText());
        JsonNode c = j.get("choices").get(0);
        assertEquals(0, c.get("index").asInt());
        assertEquals(greedy("Hello, BLT", 12, List.of()), c.get("text").asText());
        JsonNode u = j.get("usage");
        assertEquals(10, u.get("prompt_tokens").asInt());
        int gen = u.get("completion_tokens").asInt();
        assertEquals(10 + gen, u.get("total_tokens").asInt());
        assertEquals(gen == 12 ? "length" : "stop", c.get("finish_reason").asText());
        int sum = 0;
        for (JsonNode l : j.get("patch_lengths")) sum += l.asInt();
        assertEquals(1 + 10 + gen, sum, "patch lengths cover BOS, the prompt and the generated ids");
    }

    @Test
    void seedReproducesSampling() throws Exception {
        String body = "{\"prompt\": \"abc\", \"max_tokens\": 10, \"temperature\": 1.0, \"top_k\": 20, \"top_p\": 0.9, \"seed\": 42}";
        String t1 = post("/v1/completions", body).json().get("choices").get(0).get("text").asText();
        String t2 = post("/v1/completions", body).json().get("choices").get(0).get("text").asText();
        assertEquals(t1, t2);
    }

    @Test
    void defaultMaxTokens() throws Exception {
        JsonNode j = post("/v1/completions", "{\"prompt\": \"abc\", \"temperature\": 0}").json();
        assertTrue(j.get("usage").get("completion_tokens").asInt() <= LIMITS.defaultMaxTokens());
    }

    @Test
    void streamedCompletion() throws Exception {
        Answer a = post("/v1/completions", "{\"prompt\": \"Hello, BLT\", \"max_tokens\": 12, \"temperature\": 0, \"stream\": true}");
        assertEquals(200, a.status());
        assertTrue(a.header("Content-Type").startsWith("text/event-stream"), a.header("Content-Type"));
        String body = a.raw().body();
        assertTrue(body.endsWith("data: [DONE]\n\n"), body);
        List<JsonNode> events = new ArrayList<>();
        for (String ev : body.split("\n\n")) {
            assertTrue(ev.startsWith("data: "), ev);
            if (!ev.equals("data: [DONE]")) events.add(JSON.readTree(ev.substring(6)));
        }
        assertTrue(events.size() >= 2, "text chunks and a final chunk");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = events.get(i);
            assertEquals("text_completion", e.get("object").asText());
            JsonNode c = e.get("choices").get(0);
            text.append(c.get("text").asText());
            if (i < events.size() - 1) {
                assertTrue(c.get("finish_reason").isNull());
                assertFalse(c.get("text").asText().isEmpty());
                assertEquals(events.get(0).get("id"), e.get("id"), "one id per stream");
            }
        }
        JsonNode last = events.getLast();
        assertFalse(last.get("choices").get(0).get("finish_reason").isNull());
        assertEquals(10, last.get("usage").get("prompt_tokens").asInt());
        assertEquals(greedy("Hello, BLT", 12, List.of()), text.toString());
    }

    @Test
    void stopStrings() throws Exception {
        String full = greedy("The ", 40, List.of());
        assertTrue(full.length() >= 8, full);
        String stop = full.substring(4, 6);
        String expected = full.substring(0, full.indexOf(stop));
        String body = "{\"prompt\": \"The \", \"max_tokens\": 40, \"temperature\": 0, \"stop\": [\"never-there\", "
                + JSON.writeValueAsString(stop) + "]}";
        JsonNode c = post("/v1/completions", body).json().get("choices").get(0);
        assertEquals(expected, c.get("text").asText());
        assertEquals("stop", c.get("finish_reason").asText());
        // streamed too, and as a single string
        String streamed = post("/v1/completions", body.replace("}", ", \"stream\": true}")).raw().body();
        StringBuilder text = new StringBuilder();
        for (String ev : streamed.split("\n\n"))
            if (!ev.equals("data: [DONE]")) text.append(JSON.readTree(ev.substring(6)).get("choices").get(0).get("text").asText());
        assertEquals(expected, text.toString());
        String single = "{\"prompt\": \"The \", \"max_tokens\": 40, \"temperature\": 0, \"stop\": " + JSON.writeValueAsString(stop) + "}";
        assertEquals(expected, post("/v1/completions", single).json().get("choices").get(0).get("text").asText());
    }

    @Test
    void patch() throws Exception {
        Answer a = post("/v1/patch", "{\"text\": \"Hello world\"}");
        assertEquals(200, a.status(), a.raw().body());
        JsonNode j = a.json();
        int[] tokens = ByteTokenizer.encode("Hello world", true, false);
        float[] h = models.entropyModel().entropies(tokens);
        int[] lengths = models.patcherArgs().build().patchLengths(tokens, h, false);
        assertEquals(11, j.get("bytes").size());
        assertEquals('H', j.get("bytes").get(0).asInt());
        assertEquals(12, j.get("entropies").size());
        for (int i = 0; i < h.length; i++) assertEquals(h[i], (float) j.get("entropies").get(i).asDouble());
        int[] got = new int[j.get("patch_lengths").size()];
        for (int i = 0; i < got.length; i++) got[i] = j.get("patch_lengths").get(i).asInt();
        assertArrayEquals(lengths, got);
        assertEquals(TestModels.THRESHOLD, j.get("threshold").asDouble());
        assertEquals("entropy", j.get("mode").asText());
        // threshold 0: every byte starts a patch (entropies are positive)
        JsonNode zero = post("/v1/patch", "{\"text\": \"Hello world\", \"threshold\": 0}").json();
        assertEquals(12, zero.get("patch_lengths").size());
        // multi-byte text: bytes, not chars
        assertEquals(4, post("/v1/patch", "{\"text\": \"🙂\"}").json().get("bytes").size());
    }

    @Test
    void pageAndInfo() throws Exception {
        Answer a = get("/");
        assertEquals(200, a.status());
        assertTrue(a.header("Content-Type").startsWith("text/html"));
        String html = a.raw().body();
        assertTrue(html.contains("\"threshold\":" + TestModels.THRESHOLD), "settings filled in");
        assertFalse(html.contains("/*CONFIG*/"));
        assertFalse(html.matches("(?s).*(src|href)\\s*=.*"), "no external assets");
        assertEquals("blt_base", get("/v1/models").json().get("data").get(0).get("id").asText());
        assertEquals("ok", get("/health").json().get("status").asText());
    }

    static void assertError(Answer a, int status, String param, String... words) {
        assertEquals(status, a.status(), a.raw().body());
        JsonNode e = a.json().get("error");
        assertEquals(status, e.get("code").asInt());
        if (param == null) assertTrue(e.get("param").isNull());
        else assertEquals(param, e.get("param").asText(), a.raw().body());
        for (String w : words) assertTrue(e.get("message").asText().contains(w), e.get("message").asText() + " lacks " + w);
    }

    @Test
    void badBodies() throws Exception {
        assertError(post("/v1/completions", "{\"prompt\": \"a\""), 400, null, "malformed JSON");
        assertError(post("/v1/completions", "{\"prompt\": \"a\"} trailing"), 400, null, "malformed JSON");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"prompt\": \"b\"}"), 400, null, "Duplicate");
        assertError(post("/v1/completions", "[1, 2]"), 400, null, "JSON object");
        assertError(post("/v1/completions", "\"text\""), 400, null, "JSON object");
        assertError(post("/v1/completions", ""), 400, null, "empty");
        assertError(send(server, "POST", "/v1/patch", HttpRequest.BodyPublishers.ofByteArray(
                new byte[] {'{', '"', 't', 'e', 'x', 't', '"', ':', '"', (byte) 0xFF, '"', '}'})), 400, null, "not valid UTF-8", "byte 9");
        // overlong "/" (C0 AF, E0 80 AF) and a code point past U+10FFFF: not UTF-8, never decoded into other text
        for (byte[] bad : new byte[][] {{(byte) 0xC0, (byte) 0xAF}, {(byte) 0xE0, (byte) 0x80, (byte) 0xAF},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}}) {
            byte[] body = new byte[12 + bad.length + 2];
            System.arraycopy("{\"text\": \"a".getBytes(StandardCharsets.US_ASCII), 0, body, 0, 11);
            System.arraycopy(bad, 0, body, 11, bad.length);
            System.arraycopy("b\"}".getBytes(StandardCharsets.US_ASCII), 0, body, 11 + bad.length, 3);
            assertError(send(server, "POST", "/v1/patch", HttpRequest.BodyPublishers.ofByteArray(
                    java.util.Arrays.copyOf(body, 14 + bad.length))), 400, null, "not valid UTF-8", "byte 11");
        }
        assertError(post("/v1/completions", "{\"prompt\": NaN}"), 400, null, "malformed JSON");
        assertError(post("/v1/completions", "  \r\n "), 400, null, "empty");
    }

    @Test
    void crossOriginPostsAreRefusedAndSameOriginOnesServed() throws Exception {
        String body = "{\"text\": \"ab\"}";
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri().resolve("/v1/patch"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "text/plain");
        Answer evil = answer(b.copy().header("Origin", "https://evil.example").build());
        assertError(evil, 403, null, "cross-origin", "evil.example");
        assertError(answer(b.copy().header("Origin", "null").build()), 403, null, "cross-origin");
        String self = "http://" + server.uri().getRawAuthority();
        assertEquals(200, answer(b.copy().header("Origin", self).build()).status(), "the page's own origin");
        assertEquals(200, answer(b.build()).status(), "no Origin (curl, SDKs)");
    }

    /** Found by a hostile probe: a rebound name with its own Origin passed the Origin check (DNS rebinding). */
    @Test
    void aLoopbackServerAnswersOnlyToLocalhostNames() throws Exception {
        int port = server.uri().getPort();
        String body = "{\"text\": \"ab\"}";
        for (String[] c : new String[][] {{"evil.example:" + port, "403", "is not this server's"}, {"evil.example", "403", "DNS rebinding"},
                {"localhost:" + port, "200", ""}, {"127.0.0.1:" + port, "200", ""}, {"[::1]:" + port, "200", ""}, {"app.localhost", "200", ""}}) {
            String head = "POST /v1/patch HTTP/1.1\r\nHost: " + c[0] + "\r\nOrigin: http://" + c[0] + "\r\nConnection: close\r\n"
                    + "Content-Length: " + body.length() + "\r\n\r\n";
            String answer = rawExchange(head + body);
            assertTrue(answer.startsWith("HTTP/1.1 " + c[1]) && answer.contains(c[2]), c[0] + ": " + answer);
        }
        String noHost = rawExchange("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n");
        assertTrue(noHost.startsWith("HTTP/1.1 400") && noHost.contains("needs a Host header"), noHost);
    }

    private static String rawExchange(String request) throws Exception {
        try (java.net.Socket c = new java.net.Socket(server.uri().getHost(), server.uri().getPort())) {
            c.setSoTimeout(15_000);
            c.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            c.getOutputStream().flush();
            return new String(c.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void badFields() throws Exception {
        assertError(post("/v1/completions", "{}"), 422, "prompt", "required");
        assertError(post("/v1/completions", "{\"prompt\": [\"a\", \"b\"]}"), 422, "prompt", "string");
        assertError(post("/v1/completions", "{\"prompt\": 7}"), 422, "prompt", "a number");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": \"ten\"}"), 422, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 5.00000000000000000001}"), 422, "max_tokens", "integer", "5.00000000000000000001");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1e-400}"), 422, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1e400}"), 422, "max_tokens", "1E+400");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"seed\": 18446744073709551615}"), 422, "seed", "64-bit integer");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"seed\": 9.223372036854775808e18}"), 422, "seed", "64-bit integer");
        assertEquals(200, post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 2.0, \"seed\": -9.2e18}").status());
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1.5}"), 422, "max_tokens", "integer");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": -1}"), 422, "max_tokens");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 65}"), 422, "max_tokens", "[0, 64]");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1e30}"), 422, "max_tokens");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"temperature\": -0.5}"), 422, "temperature");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"temperature\": \"hot\"}"), 422, "temperature");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"top_p\": 0}"), 422, "top_p");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"top_p\": 1.5}"), 422, "top_p");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"top_k\": -3}"), 422, "top_k");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"seed\": \"x\"}"), 422, "seed");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"seed\": 123456789012345678901234567890}"), 422, "seed");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stop\": \"\"}"), 422, "stop", "empty");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [1]}"), 422, "stop");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stop\": {\"a\": 1}}"), 422, "stop");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"a\",\"b\",\"c\",\"d\",\"e\"]}"), 422, "stop", "at most 4");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stream\": \"yes\"}"), 422, "stream");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"ignore_eos\": 1}"), 422, "ignore_eos");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"n\": 2}"), 422, "n");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"echo\": true}"), 422, "echo");
        assertError(post("/v1/patch", "{\"text\": 5}"), 422, "text");
        assertError(post("/v1/patch", "{\"text\": \"a\", \"threshold\": \"high\"}"), 422, "threshold");
        assertError(post("/v1/patch", "{\"text\": \"a\", \"threshold\": -1}"), 422, "threshold");
        // accepted: OpenAI fields at their defaults, unknown fields
        assertEquals(200, post("/v1/completions", "{\"prompt\": \"a\", \"max_tokens\": 1, \"n\": 1, \"model\": \"x\", \"logprobs\": null, \"user\": \"u\"}").status());
    }

    @Test
    void oversized() throws Exception {
        String longPrompt = "x".repeat(LIMITS.maxPromptBytes() + 1);
        assertError(post("/v1/completions", "{\"prompt\": \"" + longPrompt + "\"}"), 422, "prompt", "at most 256");
        String multiByte = "é".repeat(LIMITS.maxPromptBytes() / 2 + 1); // under the limit in chars, over it in bytes
        assertError(post("/v1/completions", "{\"prompt\": \"" + multiByte + "\"}"), 422, "prompt");
        String huge = "{\"prompt\": \"" + "y".repeat(LIMITS.maxBodyBytes()) + "\"}";
        assertError(post("/v1/completions", huge), 413, null, "at most 4096");
        // no Content-Length (chunked): counted while reading
        Answer chunked = send(server, "POST", "/v1/patch", HttpRequest.BodyPublishers.ofInputStream(
                () -> new ByteArrayInputStream(huge.getBytes(StandardCharsets.UTF_8))));
        assertError(chunked, 413, null);
        assertError(post("/v1/patch", "{\"text\": \"" + "z".repeat(LIMITS.maxPromptBytes() + LIMITS.maxOutputBytes() + 1) + "\"}"), 422, "text");
    }

    @Test
    void pathsAndMethods() throws Exception {
        assertError(get("/v1/nothing"), 404, null, "/v1/nothing");
        assertError(post("/v1/completions/extra", "{}"), 404, null);
        assertError(get("/index.html"), 404, null);
        assertError(get("/../etc/passwd"), 404, null);
        Answer wrong = get("/v1/completions");
        assertError(wrong, 405, null, "POST");
        assertEquals("POST", wrong.header("Allow"));
        assertError(post("/", "{}"), 405, null);
        assertEquals("GET, HEAD", post("/", "{}").header("Allow"));
        assertError(send(server, "DELETE", "/v1/patch", HttpRequest.BodyPublishers.noBody()), 405, null);
        assertError(send(server, "PUT", "/health", HttpRequest.BodyPublishers.ofString("{}")), 405, null);
    }

    /** HEAD answers what GET answers, without the body; GET-only paths name HEAD in Allow. */
    @Test
    void headWorksWhereGetDoes() throws Exception {
        for (String path : List.of("/", "/health", "/v1/models")) {
            Answer h = send(server, "HEAD", path, HttpRequest.BodyPublishers.noBody());
            assertEquals(200, h.status(), path);
            assertEquals("", h.raw().body());
            assertEquals(get(path).header("Content-Type"), h.header("Content-Type"));
        }
        assertEquals(404, send(server, "HEAD", "/nothing", HttpRequest.BodyPublishers.noBody()).status());
        assertEquals("GET, HEAD", post("/health", "{}").header("Allow"));
    }

    /** Oversized header fields get a JSON 431, not a reset connection. */
    @Test
    void oversizedHeaders() throws Exception {
        String big = "x".repeat(100_000);
        assertJsonError(rawAnswer("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n"), 431, "big");
        StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n");
        for (int i = 0; i < 300; i++) many.append("X-H").append(i).append(": v\r\n");
        assertJsonError(rawAnswer(many.append("\r\n").toString()), 431, "many");
        HttpRequest req = HttpRequest.newBuilder(server.uri().resolve("/health")).header("X-Big", "y".repeat(40_000)).build();
        HttpResponse<String> r = HTTP.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(431, r.statusCode());
        assertEquals("request_header_fields_too_large", JSON.readTree(r.body()).get("error").get("type").asText());
    }

    /** A lone surrogate in a text field is refused, naming the field, instead of silently becoming '?'. */
    @Test
    void loneSurrogates() throws Exception {
        assertError(post("/v1/completions", "{\"prompt\": \"a\\ud800b\"}"), 400, "prompt", "surrogate");
        assertError(post("/v1/completions", "{\"prompt\": \"a\", \"stop\": [\"\\udc00\"]}"), 400, "stop", "surrogate");
        assertError(post("/v1/patch", "{\"text\": \"end\\ud83d\"}"), 400, "text", "surrogate");
        assertEquals(200, post("/v1/patch", "{\"text\": \"ok \\ud83d\\ude00\"}").status(), "a pair is fine");
    }

    /** Sends raw bytes, returns everything the server answers until it closes the connection. */
    static String rawAnswer(String request) throws IOException {
        try (java.net.Socket sock = new java.net.Socket("127.0.0.1", server.port())) {
            sock.setSoTimeout(10_000);
            sock.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            sock.getOutputStream().flush();
            return new String(sock.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /** The answer is a JSON error of this status, in the server's format (not the JDK's text/html). */
    static void assertJsonError(String answer, int status, String request) throws IOException {
        assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), request + " -> " + answer);
        int body = answer.indexOf("\r\n\r\n");
        assertTrue(answer.substring(0, body).toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), answer);
        JsonNode e = JSON.readTree(answer.substring(body + 4)).get("error");
        assertEquals(status, e.get("code").asInt(), answer);
        assertTrue(e.get("message").asText().length() > 5 && e.has("type") && e.has("param"), answer);
    }

    /** Every malformed request gets the server's JSON error, including those the JDK's server used to answer itself. */
    @Test
    void brokenHttp() throws Exception {
        assertJsonError(rawAnswer("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n"), 400, "bad chunk");
        Map<String, Integer> cases = new java.util.LinkedHashMap<>();
        cases.put("GET mailto:x HTTP/1.1\r\nHost: localhost\r\n\r\n", 400);
        cases.put("OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", 400);
        cases.put("GET /a%zz HTTP/1.1\r\nHost: localhost\r\n\r\n", 400);
        cases.put("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n{}", 400);
        cases.put("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}", 400);
        cases.put("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", 400);
        cases.put("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\n\r\n{}", 501);
        cases.put("HELLO\r\n\r\n", 400);
        cases.put("GET / HTTP/1.1\r\nBad Header Line\r\n\r\n", 400);
        cases.put("GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400);
        cases.put("GET / HTTP/2.0\r\nHost: localhost\r\n\r\n", 505);
        cases.put("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\n\r\n", 414);
        for (var c : cases.entrySet()) assertJsonError(rawAnswer(c.getKey()), c.getValue(), c.getKey());
    }

    /** Keep-alive and pipelining pass through the front unchanged; a bad request after good ones ends the connection. */
    @Test
    void keepAliveAndPipelining() throws Exception {
        String good = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n";
        String body = "{\"text\": \"hi\"}";
        String post = "POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length() + "\r\n\r\n" + body;
        String chunked = "POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"te\r\n"
                + Integer.toHexString(body.length() - 4) + "\r\n" + body.substring(4) + "\r\n0\r\n\r\n";
        String answer = rawAnswer(good + post + chunked + "BROKEN\r\n\r\n");
        String[] parts = answer.split("(?=HTTP/1\\.1 )");
        assertEquals(4, parts.length, answer);
        for (int i = 0; i < 3; i++) assertTrue(parts[i].startsWith("HTTP/1.1 200 "), parts[i]);
        assertJsonError(parts[3], 400, "after good ones");
    }

    @Test
    void logsOneLinePerRequest() throws Exception {
        int before = LOG.size();
        get("/v1/no-such-thing");
        post("/v1/patch", "{\"text\": \"log me\"}");
        Thread.sleep(100); // the line is written after the answer
        List<String> lines = LOG.subList(before, LOG.size());
        assertTrue(lines.stream().anyMatch(l -> l.contains("GET /v1/no-such-thing 404")), lines.toString());
        assertTrue(lines.stream().anyMatch(l -> l.contains("POST /v1/patch 200")), lines.toString());
    }

    /**
     * A model file changed in place under the server (overwritten with cp while it serves): /health turns 503 and names
     * it, and completions and patches get 503 instead of reading it (a truncated file faulted every request with a 500
     * while /health said ok; in the int8 and bf16 kernels it ended the JVM with SIGBUS).
     */
    @Test
    void aModelFileChangedInPlaceTurnsTheServerUnhealthy(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path b = tmp.resolve("blt"), e = tmp.resolve("entropy");
        for (java.nio.file.Path[] d : new java.nio.file.Path[][] {{TestModels.goldenRoot().resolve("blt_base"), b},
                {TestModels.goldenRoot().resolve("entropy_model_forward"), e}}) {
            java.nio.file.Files.createDirectories(d[1]);
            for (String f : List.of("config.json", "model.safetensors")) java.nio.file.Files.copy(d[0].resolve(f), d[1].resolve(f));
        }
        try (LoadedModels copy = LoadedModels.load(b, e, TestModels.THRESHOLD);
             BltServer s = BltServer.start(copy, LIMITS, "127.0.0.1", 0, true, line -> {})) {
            assertEquals(200, send(s, "GET", "/health", HttpRequest.BodyPublishers.noBody()).status());
            java.nio.file.Files.write(b.resolve("model.safetensors"), new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
            Answer health = send(s, "GET", "/health", HttpRequest.BodyPublishers.noBody());
            assertEquals(503, health.status(), health.raw().body());
            assertEquals("model_files_changed", health.json().get("status").asText());
            assertTrue(health.json().get("error").asText().contains("model.safetensors was changed in place"), health.raw().body());
            assertError(send(s, "POST", "/v1/completions", HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a\", \"max_tokens\": 2}")),
                    503, null, "was changed in place", "restart");
            assertError(send(s, "POST", "/v1/patch", HttpRequest.BodyPublishers.ofString("{\"text\": \"a\"}")), 503, null, "was changed in place");
        }
    }

    /** One long generation holds the only turn: one more waits and times out (503), the next finds the queue full (429). */
    @Test
    void busyAndOverloaded() throws Exception {
        ServerLimits tight = new ServerLimits(256, 100_000, 8, 1, 1, 1_500, 5_000, 4096, ServerLimits.threadsFor(1, 1));
        try (BltServer s = BltServer.start(models, tight, "127.0.0.1", 0, true, line -> {})) {
            CompletableFuture<HttpResponse<String>> longOne = HTTP.sendAsync(HttpRequest.newBuilder(s.uri().resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"a long one\", \"max_tokens\": 100000, \"temperature\": 0, \"ignore_eos\": true}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            waitFor(s, "running", 1);
            String small = "{\"prompt\": \"b\", \"max_tokens\": 2}";
            CompletableFuture<HttpResponse<String>> waiting = HTTP.sendAsync(HttpRequest.newBuilder(s.uri().resolve("/v1/completions"))
                    .POST(HttpRequest.BodyPublishers.ofString(small)).build(), HttpResponse.BodyHandlers.ofString());
            waitFor(s, "waiting", 1);
            Answer full = send(s, "POST", "/v1/completions", HttpRequest.BodyPublishers.ofString(small));
            assertError(full, 429, null, "try again");
            assertEquals("1", full.header("Retry-After"));
            HttpResponse<String> timedOut = waiting.get();
            assertEquals(503, timedOut.statusCode(), timedOut.body());
            assertTrue(timedOut.headers().firstValue("Retry-After").isPresent());
            // the long one ends at the time limit, with what it made so far
            HttpResponse<String> done = longOne.get();
            assertEquals(200, done.statusCode());
            JsonNode c = JSON.readTree(done.body()).get("choices").get(0);
            assertEquals("time_limit", c.get("finish_reason").asText());
            // and the server is free again
            assertEquals(200, send(s, "POST", "/v1/completions", HttpRequest.BodyPublishers.ofString(small)).status());
        }
    }

    static void waitFor(BltServer s, String field, int value) throws Exception {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            if (send(s, "GET", "/health", HttpRequest.BodyPublishers.noBody()).json().get(field).asInt() >= value) return;
            Thread.sleep(10);
        }
        throw new AssertionError("health never showed " + field + " >= " + value);
    }

    /** A bounded load test: 50 clients for 10 s get answers that follow the rules and the heap stays small. */
    @Test
    void load() throws Exception {
        ServerLimits l = new ServerLimits(4096, 512, 16, 2, 16, 5_000, 30_000, 64 * 1024, ServerLimits.threadsFor(2, 16));
        try (BltServer s = BltServer.start(models, l, "127.0.0.1", 0, true, line -> {})) {
            LoadDriver.Report r = LoadDriver.run(s.uri(), l, 50, Duration.ofSeconds(10));
            System.out.println("load test, 50 clients for 10 s:\n" + r.summary());
            assertTrue(r.clean(), r.summary());
            assertTrue(r.good().getOrDefault(200, 0L) > 0, r.summary());
            assertTrue(r.bad().keySet().stream().allMatch(st -> st >= 400 && st < 500), r.summary());
            assertTrue(r.heapAfter() < r.heapBefore() + 64L * 1024 * 1024, "no memory kept after the run: " + r.summary());
        }
    }
}
