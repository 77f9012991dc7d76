package org.blt4j.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.generate.PromptContext;
import org.blt4j.generate.BatchScheduler;
import org.blt4j.generate.CachedGenerator;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.Generator;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.text.ByteTokenizer;

/**
 * The HTTP server: OpenAI-style completions (plain JSON or server-sent events), entropy patching of a text, and a
 * page that shows both. Built on the JDK's {@code com.sun.net.httpserver} with a bounded thread pool; model work goes
 * through two {@link Admission} gates (generations, patch requests) with bounded queues. No request names a file.
 *
 * <p>Generations are batched continuously ({@link BatchScheduler}) when the server caches and its patcher is
 * incremental and maxBatch &gt; 1: the admitted ones join one lockstep step per iteration (up to maxBatch rows; more
 * wait their turn), so the weights are read once for all of them. With maxBatch 1 each generation runs on its request's
 * thread with a generator of its own, as before. The answers are the same either way.
 *
 * <pre>
 * GET  /                 the page (self-contained HTML)
 * POST /v1/completions   {prompt, max_tokens, temperature, top_p, top_k, seed, stop, stream, ignore_eos}
 * POST /v1/patch         {text, threshold?} → {bytes, entropies, patch_lengths, threshold, ...}
 * GET  /v1/models        the one model
 * GET  /health           {"status": "ok", ...}; 503 {"status": "model_files_changed", "error": ...} when a mapped
 *                        checkpoint file was changed in place since the load (completions and patches get 503 too)
 * </pre>
 */
public final class BltServer implements AutoCloseable {
    private static final String JSON = "application/json; charset=utf-8";

    private final LoadedModels models;
    private final ServerLimits limits;
    private final boolean cached;
    private final Consumer<String> log;
    private final HttpServer http;
    /** the public socket: checks each request's head (malformed ones get a JSON error), then passes it to http */
    private final HttpFront front;
    private final ThreadPoolExecutor executor;
    private final Admission generations, patches;
    private final ObjectMapper mapper;
    /** request bodies: decimals read exactly (5.00000000000000000001 is not an integer, 1e400 is not infinity) */
    private final com.fasterxml.jackson.databind.ObjectReader requests;
    private final byte[] page;
    private final long startedSeconds = Instant.now().getEpochSecond();
    private final SecureRandom random = new SecureRandom();
    private final AtomicInteger running = new AtomicInteger();
    /** the continuous-batching scheduler; null: one generator per request */
    private final BatchScheduler batcher;

    /** Generations batched together at most, unless told otherwise. */
    public static final int DEFAULT_MAX_BATCH = 8;

    /** set by {@link #shutdown}: new requests get 503 */
    private volatile boolean draining;

    /** whether the front listens on a loopback address only (then only localhost names are served: {@link #checkHost}) */
    private final boolean loopbackOnly;

    private BltServer(LoadedModels models, ServerLimits limits, String host, int port, boolean cached, int maxBatch,
                      Consumer<String> log) throws IOException {
        if (maxBatch < 1) throw new Blt4jException("--max-batch must be at least 1, got " + maxBatch);
        this.models = models;
        this.limits = limits;
        this.cached = cached;
        this.log = log;
        this.generations = new Admission(limits.maxConcurrent(), limits.maxQueued());
        this.patches = new Admission(limits.maxConcurrent(), limits.maxQueued());
        this.mapper = org.blt4j.io.Json.MAPPER;
        this.requests = mapper.reader().with(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
        this.page = page();
        this.loopbackOnly = InetAddress.getByName(host).isLoopbackAddress();
        AtomicInteger n = new AtomicInteger();
        // bounded: at most httpThreads threads and 256 accepted requests waiting for one; past that the JDK server
        // closes the new connection (the thread count covers every running and queued request of both gates)
        this.executor = new ThreadPoolExecutor(limits.httpThreads(), limits.httpThreads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "blt4j-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        executor.allowCoreThreadTimeOut(true);
        var patcher = models.patcherArgs().build();
        this.batcher = cached && maxBatch > 1 && CachedGenerator.supports(patcher)
                ? new BatchScheduler(models.blt(), models.entropyModel(), patcher, maxBatch) : null;
        this.http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        http.createContext("/", this::handle);
        http.setExecutor(executor);
        http.start();
        try {
            this.front = HttpFront.start(host, port, http.getAddress(), limits.maxBodyBytes(),
                    limits.queueTimeoutMs() + limits.timeLimitMs() + 10_000);
        } catch (IOException | RuntimeException e) {
            http.stop(0);
            executor.shutdownNow();
            if (batcher != null) batcher.close();
            throw e;
        }
    }

    /**
     * Starts a server.
     *
     * @param port   0 = any free port (see {@link #port()})
     * @param cached passed to {@link org.blt4j.generate.Generators#create}
     * @param log    receives one line per request
     */
    public static BltServer start(LoadedModels models, ServerLimits limits, String host, int port, boolean cached,
                                  Consumer<String> log) throws IOException {
        return new BltServer(models, limits, host, port, cached, DEFAULT_MAX_BATCH, log);
    }

    /**
     * Starts a server that batches up to maxBatch generations in one lockstep step (1: each on its own thread).
     *
     * @see #start(LoadedModels, ServerLimits, String, int, boolean, Consumer)
     */
    public static BltServer start(LoadedModels models, ServerLimits limits, String host, int port, boolean cached,
                                  int maxBatch, Consumer<String> log) throws IOException {
        return new BltServer(models, limits, host, port, cached, maxBatch, log);
    }

    /** The scheduler, null when not batching (for tests). */
    BatchScheduler batcher() {
        return batcher;
    }

    /** Whether generations are batched continuously (else each runs on its own thread). */
    public boolean batching() {
        return batcher != null;
    }

    public int port() {
        return front.address().getPort();
    }

    /** http://host:port/ */
    public URI uri() {
        InetSocketAddress a = front.address();
        String host = a.getAddress().getHostAddress();
        if (host.contains(":")) host = "[" + host + "]";
        return URI.create("http://" + host + ":" + a.getPort() + "/");
    }

    public ServerLimits limits() {
        return limits;
    }

    @Override
    public void close() {
        front.close();
        http.stop(0);
        executor.shutdownNow();
        if (batcher != null) batcher.close();
    }

    /**
     * A graceful stop (SIGTERM): no new connections, new requests on open ones get 503, and the generations running
     * or queued finish (up to {@code graceMs}); then {@link #close}. Returns how many were still running then.
     */
    public int shutdown(long graceMs) {
        draining = true;
        front.stopAccepting();
        long end = System.nanoTime() + graceMs * 1_000_000L;
        while ((running.get() > 0 || generations.waiting() > 0) && System.nanoTime() < end) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        int left = running.get();
        try {
            Thread.sleep(100);   // the last answers' bytes leave the front
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
        return left;
    }

    // ---- routing ----

    /** What one request did, for its log line. */
    private static final class Outcome {
        int status;
        long bytesIn, bytesOut;
        String note = "";
    }

    private void handle(HttpExchange ex) {
        long t0 = System.nanoTime();
        Outcome o = new Outcome();
        String method = ex.getRequestMethod();
        String path = java.util.Objects.requireNonNullElse(ex.getRequestURI().getRawPath(), ""); // null: an opaque URI
        try {
            checkHost(ex);
            if (draining)
                throw new ApiError(503, "server_shutting_down", "the server is shutting down and takes no new requests", null, 0);
            switch (path) {
                case "/" -> {
                    allow(method, path, "GET");
                    send(ex, o, 200, "text/html; charset=utf-8", page);
                }
                case "/v1/completions" -> {
                    allow(method, path, "POST");
                    completion(ex, o, readJson(ex, o));
                }
                case "/v1/patch" -> {
                    allow(method, path, "POST");
                    patch(ex, o, readJson(ex, o));
                }
                case "/v1/models" -> {
                    allow(method, path, "GET");
                    ObjectNode m = mapper.createObjectNode().put("id", models.name()).put("object", "model")
                            .put("created", startedSeconds).put("owned_by", "blt4j");
                    ObjectNode list = mapper.createObjectNode().put("object", "list");
                    list.putArray("data").add(m);
                    sendJson(ex, o, 200, list);
                }
                case "/health" -> {
                    allow(method, path, "GET");
                    String changed = changedModelFiles();
                    ObjectNode h = mapper.createObjectNode().put("status", changed == null ? "ok" : "model_files_changed");
                    if (changed != null) h.put("error", changed);
                    sendJson(ex, o, changed == null ? 200 : 503, h.put("running", running.get()).put("waiting", generations.waiting()));
                }
                default -> throw ApiError.notFound(path);
            }
        } catch (ApiError e) {
            o.note = e.getMessage();
            sendError(ex, o, e);
        } catch (JsonProcessingException e) {   // an answer JSON cannot carry (a NaN: see org.blt4j.io.Json)
            o.note = "cannot encode the answer: " + e.getOriginalMessage();
            sendError(ex, o, new ApiError(500, "server_error", "cannot encode the answer: " + e.getOriginalMessage(), null, 0));
        } catch (IOException e) {
            o.note = "i/o: " + e.getMessage(); // the client went away
            if (o.status == 0) o.status = 499;
        } catch (Throwable e) {
            o.note = "internal error: " + e;
            sendError(ex, o, new ApiError(500, "server_error", "internal error", null, 0));
        } finally {
            ex.close();
            log.accept(String.format("%s %s %s %s %d %dms in=%dB out=%dB%s", Instant.now().truncatedTo(ChronoUnit.MILLIS),
                    front.client(ex.getRemoteAddress()).getAddress().getHostAddress(), method, printable(path), o.status,
                    (System.nanoTime() - t0) / 1_000_000, o.bytesIn, o.bytesOut, o.note.isEmpty() ? "" : " " + printable(o.note)));
        }
    }

    private static void allow(String method, String path, String allowed) {
        boolean ok = method.equals(allowed) || method.equals("HEAD") && allowed.equals("GET");
        if (!ok) throw ApiError.methodNotAllowed(method, path, allowed);
    }


    // ---- endpoints ----

    /** Why the models cannot serve (a mapped checkpoint file changed in place since the load), or null. */
    private String changedModelFiles() {
        try {
            models.checkFiles();
            return null;
        } catch (org.blt4j.Blt4jException e) {
            return e.getMessage();
        }
    }

    /** 503 when a mapped checkpoint file was changed in place: reading it could fault or crash the JVM. */
    private void requireModelFiles() {
        String changed = changedModelFiles();
        if (changed != null) throw new ApiError(503, "model_files_changed", changed, null, 0);
    }

    private void completion(HttpExchange ex, Outcome o, JsonNode body) throws IOException, InterruptedException {
        Requests.Completion req = Requests.completion(body, limits);
        requireModelFiles();
        Sampler sampler = Sampler.of(req.temperature(), req.topK(), req.topP(),
                req.seed() != null ? req.seed() : random.nextLong());
        enter(generations, "generations");
        running.incrementAndGet();
        try {
            if (front.gone(ex.getRemoteAddress())) {   // it left while it waited for its turn: no prefill for nobody
                o.status = 499;
                o.note = "client gone before its turn";
                return;
            }
            String id = "cmpl-" + HexFormat.of().toHexDigits(random.nextLong());
            long created = Instant.now().getEpochSecond();
            Generator generator = batcher != null ? batcher : models.generator(cached);
            PromptContext.Prompt cut = PromptContext.cut(req.promptBytes(), 0, PromptContext.of(models.blt().args()));
            int[] prompt = cut.ids();
            long deadline = System.nanoTime() + limits.timeLimitMs() * 1_000_000;
            if (!req.stream()) {
                InetSocketAddress seen = ex.getRemoteAddress();   // stop when the client has closed its connection
                CompletionStream cs = new CompletionStream(models.eosId(), !req.ignoreEos(), new StopStrings(req.stop()),
                        () -> System.nanoTime() < deadline && !front.gone(seen), null);
                generator.generate(prompt, req.maxTokens(), sampler, !req.ignoreEos(), cs);
                CompletionStream.Finish why = cs.finish();
                ObjectNode r = head(id, created);
                ObjectNode choice = r.putArray("choices").addObject().put("text", cs.text()).put("index", 0);
                choice.putNull("logprobs");
                choice.put("finish_reason", why.openAi());
                choice.putPOJO("patch_starts", cs.patchStarts());
                usage(r, req, cs, cut);
                o.note = "gen=" + cs.generated() + " finish=" + why.openAi() + (front.gone(seen) ? " (client gone)" : "");
                sendJson(ex, o, 200, r);
                return;
            }
            ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            o.status = 200;
            OutputStream out = ex.getResponseBody();
            AtomicBoolean gone = new AtomicBoolean();
            // batched: the sink runs on the scheduler's thread and only queues the events; this thread writes them
            LinkedBlockingQueue<String> events = batcher == null ? null : new LinkedBlockingQueue<>();
            CompletionStream.Sink sink = (chunk, starts) -> {
                if (gone.get()) return;
                ObjectNode r = head(id, created);
                ObjectNode choice = r.putArray("choices").addObject().put("text", chunk).put("index", 0);
                choice.putNull("logprobs");
                choice.putNull("finish_reason");
                choice.putPOJO("patch_starts", starts);
                try {
                    String e = mapper.writeValueAsString(r);
                    if (events != null) events.add(e);
                    else event(out, o, e);
                } catch (IOException e) {
                    gone.set(true);
                }
            };
            CompletionStream cs = new CompletionStream(models.eosId(), !req.ignoreEos(), new StopStrings(req.stop()),
                    () -> !gone.get() && System.nanoTime() < deadline, sink);
            if (batcher == null) {
                generator.generate(prompt, req.maxTokens(), sampler, !req.ignoreEos(), cs);
            } else {
                BatchScheduler.Ticket t = batcher.submit(prompt, req.maxTokens(), sampler, !req.ignoreEos(), cs);
                try {
                    while (!t.result().isDone() || !events.isEmpty()) {
                        String e = events.poll(20, TimeUnit.MILLISECONDS);
                        if (e != null && !gone.get()) writeOrGone(out, o, e, gone, t);
                    }
                } finally {
                    t.cancel();  // interrupted: leave the batch
                }
                t.await();       // its error, if any
            }
            CompletionStream.Finish why = cs.finish();
            if (events != null) for (String e; (e = events.poll()) != null && !gone.get(); ) writeOrGone(out, o, e, gone, null);
            if (gone.get()) throw new IOException("client closed the stream");
            ObjectNode r = head(id, created);
            ObjectNode choice = r.putArray("choices").addObject().put("text", "").put("index", 0);
            choice.putNull("logprobs");
            choice.put("finish_reason", why.openAi());
            usage(r, req, cs, cut);
            event(out, o, mapper.writeValueAsString(r));
            event(out, o, "[DONE]");
            out.close();
            o.note = "stream gen=" + cs.generated() + " finish=" + why.openAi();
        } finally {
            running.decrementAndGet();
            generations.leave();
        }
    }

    /** Writes one event; when the client is gone, says so and lets its generation leave the batch. */
    private static void writeOrGone(OutputStream out, Outcome o, String e, AtomicBoolean gone, BatchScheduler.Ticket t) {
        try {
            event(out, o, e);
        } catch (IOException io) {
            gone.set(true);
            if (t != null) t.cancel();
        }
    }

    private void patch(HttpExchange ex, Outcome o, JsonNode body) throws IOException, InterruptedException {
        Requests.Patch req = Requests.patch(body, limits);
        requireModelFiles();
        PatcherArgs args;
        try {
            args = req.threshold() == null ? models.patcherArgs() : models.thresholdArgs(req.threshold());
        } catch (Blt4jException e) {
            throw ApiError.invalidField("threshold", e.getMessage());
        }
        enter(patches, "patch requests");
        ObjectNode r = mapper.createObjectNode();
        try {
            int[] tokens = ByteTokenizer.encode(req.bytes(), true, false);
            float[] h = models.entropyModel().entropies(tokens);
            int[] lengths = args.build().patchLengths(tokens, h, false);
            ArrayNode bytes = r.putArray("bytes");
            for (byte b : req.bytes()) bytes.add(b & 0xFF);
            r.putPOJO("entropies", h);
            r.putPOJO("patch_lengths", lengths);
        } finally {
            patches.leave();
        }
        if (args.threshold() == null) r.putNull("threshold");
        else r.put("threshold", args.threshold());
        r.put("mode", args.mode().name().toLowerCase(java.util.Locale.ROOT));
        r.put("model", models.name());
        sendJson(ex, o, 200, r);
    }

    private void enter(Admission gate, String what) throws InterruptedException {
        switch (gate.enter(limits.queueTimeoutMs())) {
            case ADMITTED -> {}
            case QUEUE_FULL -> throw ApiError.busy("too many " + what + " waiting; try again shortly", 1);
            case TIMED_OUT -> throw ApiError.overloaded("the model is overloaded: no turn within "
                    + limits.queueTimeoutMs() + " ms; try again later", 5);
        }
    }

    private ObjectNode head(String id, long created) {
        return mapper.createObjectNode().put("id", id).put("object", "text_completion").put("created", created)
                .put("model", models.name());
    }

    /**
     * usage counts bytes (the model's tokens; prompt_tokens: those the model read); patch_lengths covers BOS, the prompt and every generated id;
     * prompt_truncated says whether the prompt was longer than the model's context and lost its first
     * prompt_bytes_dropped bytes (PromptContext).
     */
    private static void usage(ObjectNode r, Requests.Completion req, CompletionStream cs, PromptContext.Prompt cut) {
        r.put("prompt_truncated", cut.truncated()).put("prompt_bytes_dropped", cut.droppedBytes());
        long read = req.promptBytes().length - cut.droppedBytes();          // the prompt bytes the model read
        r.putObject("usage").put("prompt_tokens", read).put("completion_tokens", cs.generated())
                .put("total_tokens", read + cs.generated());
        if (cs.patchLengths() != null) r.putPOJO("patch_lengths", cs.patchLengths());
        else r.putNull("patch_lengths");
    }

    // ---- reading and writing ----

    /** The body as a JSON object: 413 when too large, 400 when empty, not JSON or not an object. */
    private JsonNode readJson(HttpExchange ex, Outcome o) throws IOException {
        checkOrigin(ex);
        int max = limits.maxBodyBytes();
        String declared = ex.getRequestHeaders().getFirst("Content-Length");
        InputStream in = ex.getRequestBody();
        if (declared != null) {
            long n;
            try {
                n = Long.parseLong(declared.strip());
            } catch (NumberFormatException e) {
                throw ApiError.badRequest("Content-Length is not a number");
            }
            // HttpFront answers these itself (and reads the body first); kept for a request that reaches this server
            if (n > max) throw ApiError.tooLarge("the body is " + n + " bytes; at most " + max + " are allowed");
        }
        byte[] buf;
        try {
            buf = in.readNBytes(max + 1);
        } catch (IOException e) { // a broken chunked body, or the client went away (then nobody reads this)
            throw ApiError.badRequest("could not read the body: " + e.getMessage());
        }
        o.bytesIn = buf.length;
        if (buf.length > max) throw ApiError.tooLarge("the body is over " + max + " bytes; at most " + max + " are allowed");
        if (buf.length == 0) throw ApiError.badRequest("the body is empty: send a JSON object");
        String text = utf8(buf);
        if (text.isBlank()) throw ApiError.badRequest("the body is empty (white space only): send a JSON object");
        JsonNode node;
        try {
            node = requests.readTree(text);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage();
            if (why.length() > 200) why = why.substring(0, 200) + "...";
            throw ApiError.badRequest("malformed JSON: " + why);
        }
        if (node == null || !node.isObject())
            throw ApiError.badRequest("the body must be a JSON object, got " + (node == null ? "nothing" : Requests.kind(node)));
        return node;
    }

    /** The body as text; 400 naming the first byte that is not UTF-8 (overlong forms and surrogates included). */
    static String utf8(byte[] buf) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(buf);
        CharBuffer out = CharBuffer.allocate(buf.length);
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) r = dec.flush(out);
        if (r.isError())
            throw ApiError.badRequest("the body is not valid UTF-8: byte " + in.position() + " (0x"
                    + HexFormat.of().toHexDigits(buf[in.position()]) + ") starts a malformed sequence; send JSON text in UTF-8");
        return out.flip().toString();
    }

    /**
     * Browsers send Origin with every cross-site POST, and a plain form POST needs no pre-flight: so a request whose
     * Origin is not this server (scheme aside) is refused, and a web page cannot start work on a server on localhost.
     * Clients that are not browsers (curl, SDKs) send no Origin.
     */
    private static void checkOrigin(HttpExchange ex) {
        String origin = ex.getRequestHeaders().getFirst("Origin");
        if (origin == null) return;
        String host = ex.getRequestHeaders().getFirst("Host");
        String authority = null;
        try {
            authority = URI.create(origin.strip()).getRawAuthority();
        } catch (IllegalArgumentException e) {
            // refused below
        }
        if (authority == null || host == null || !authority.equalsIgnoreCase(host.strip()))
            throw new ApiError(403, "permission_error", "cross-origin request refused: Origin " + shortHeader(origin)
                    + " is not this server (" + shortHeader(String.valueOf(host)) + ")", null, 0);
    }

    /**
     * HTTP/1.1 requests name the host they are for (400 without one, RFC 9112). A server on a loopback address answers
     * only to a loopback name or address: a web page on a name its attacker rebinds to 127.0.0.1 (DNS rebinding) sends
     * that name as Host, and a matching Origin, so the Origin check alone would let it drive this server.
     */
    private void checkHost(HttpExchange ex) {
        String host = ex.getRequestHeaders().getFirst("Host");
        if (host == null) {
            if (ex.getProtocol().endsWith("/1.1"))
                throw new ApiError(400, "invalid_request_error", "an HTTP/1.1 request needs a Host header", null, 0);
            return;
        }
        if (!loopbackOnly) return;
        String h = host.strip().toLowerCase(java.util.Locale.ROOT);
        String name = h.startsWith("[") && h.indexOf(']') > 0 ? h.substring(1, h.indexOf(']'))
                : h.indexOf(':') >= 0 && h.indexOf(':') == h.lastIndexOf(':') ? h.substring(0, h.indexOf(':')) : h;
        if (name.equals("localhost") || name.endsWith(".localhost") || isLoopbackLiteral(name)) return;
        throw new ApiError(403, "permission_error", "Host " + shortHeader(host) + " is not this server's: it listens on a"
                + " loopback address and answers only to localhost names (a page on another name could reach it by DNS"
                + " rebinding); serve with --host to take other names", null, 0);
    }

    private static boolean isLoopbackLiteral(String name) {
        if (!name.matches("[0-9.]+|[0-9a-f:]+")) return false;   // an address, not a name to look up
        try {
            return InetAddress.getByName(name).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static String shortHeader(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    private void sendJson(HttpExchange ex, Outcome o, int status, JsonNode body) throws IOException {
        send(ex, o, status, JSON, mapper.writeValueAsBytes(body));
    }

    private void send(HttpExchange ex, Outcome o, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (type.startsWith("text/html"))
            ex.getResponseHeaders().set("Content-Security-Policy",
                    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:");
        o.status = status;
        if (ex.getRequestMethod().equals("HEAD")) {   // the headers a GET would get, no body
            ex.getResponseHeaders().set("Content-Length", Integer.toString(body.length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, body.length);
        // closing the body flushes it before the exchange is closed: HttpExchange.close() first drains the request
        // body, and when that fails (a broken chunked body) it drops the connection with the answer unsent
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
        o.bytesOut += body.length;
    }

    private void sendError(HttpExchange ex, Outcome o, ApiError e) {
        if (ex.getResponseCode() != -1) return; // already answering (a stream): nothing more to say
        ObjectNode err = mapper.createObjectNode();
        ObjectNode inner = err.putObject("error").put("message", e.getMessage()).put("type", e.type);
        if (e.param == null) inner.putNull("param");
        else inner.put("param", e.param);
        inner.put("code", e.status);
        if (e.retryAfter > 0) ex.getResponseHeaders().set("Retry-After", Integer.toString(e.retryAfter));
        if (e.allow != null) ex.getResponseHeaders().set("Allow", e.allow);
        if (e.status == 413) ex.getResponseHeaders().set("Connection", "close");
        try {
            sendJson(ex, o, e.status, err);
        } catch (IOException io) {
            o.note += " (answer lost: " + io.getMessage() + ")";
        }
    }

    private static void event(OutputStream out, Outcome o, String data) throws IOException {
        byte[] b = ("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8);
        out.write(b);
        out.flush();
        o.bytesOut += b.length;
    }

    /** For log lines: control characters escaped, cut to 300 chars. */
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 300; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.toString();
    }

    /** The page, with the server's settings filled in. */
    private byte[] page() throws IOException {
        try (InputStream in = BltServer.class.getResourceAsStream("page.html")) {
            if (in == null) throw new IOException("page.html is missing from the jar");
            ObjectNode cfg = mapper.createObjectNode().put("model", models.name())
                    .put("max_prompt_bytes", limits.maxPromptBytes()).put("max_output_bytes", limits.maxOutputBytes())
                    .put("vocab_size", models.blt().args().vocabSize());
            Double t = models.threshold();
            if (t == null) cfg.putNull("threshold");
            else cfg.put("threshold", t);
            String html = new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .replace("/*CONFIG*/{}", mapper.writeValueAsString(cfg).replace("</", "<\\/"));
            return html.getBytes(StandardCharsets.UTF_8);
        }
    }
}
