package org.blt4j.cli;

import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.generate.LoadedModels;
import org.blt4j.server.BltServer;
import org.blt4j.server.ServerLimits;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** blt4j serve: the HTTP server (completions, patching, the page). */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a BLT over HTTP: POST /v1/completions (OpenAI-style, streaming with \"stream\": true),"
                + " POST /v1/patch, GET /v1/models, GET /health, and a page at / that shows entropies and patches."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "port, 0 = any free one (default: ${DEFAULT-VALUE})")
    int port;

    @Mixin
    CacheOption cache;

    @Option(names = "--max-prompt-bytes", paramLabel = "N", description = "longest prompt (default: 4096)")
    Integer maxPromptBytes;

    @Option(names = "--max-output-bytes", paramLabel = "N", description = "largest max_tokens (default: 512)")
    Integer maxOutputBytes;

    @Option(names = "--default-max-tokens", paramLabel = "N", description = "max_tokens when a request leaves it out (default: 16)")
    Integer defaultMaxTokens;

    @Mixin
    AdmissionOptions admission;

    @Option(names = "--queue-timeout", paramLabel = "SECONDS", description = "longest wait for a turn; then 503 (default: 10)")
    Double queueTimeout;

    @Option(names = "--time-limit", paramLabel = "SECONDS", description = "longest generation; then finish_reason \"time_limit\" (default: 60)")
    Double timeLimit;

    @Option(names = "--max-body-bytes", paramLabel = "N", description = "largest request body; more gets 413 (default: 65536)")
    Integer maxBodyBytes;

    @Option(names = "--max-batch", paramLabel = "N", defaultValue = "8",
            description = "generations decoded together in one lockstep step, reading the weights once for all (continuous batching; 1: each on its own thread; up to 16 each gets the bits it gets alone) (default: ${DEFAULT-VALUE})")
    int maxBatch;

    @Option(names = "--http-threads", paramLabel = "N", description = "request threads (default: enough for every running and waiting request, plus 16)")
    Integer httpThreads;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new Blt4jException("--port must be in [0, 65535] (0: any free port), got " + port);
        ServerLimits limits = limits();
        if (maxBatch < 1 || maxBatch > 256) throw new Blt4jException("--max-batch must be in [1, 256], got " + maxBatch);
        // the JDK server's own guards (read once, when its classes load): a request must arrive within 30 s, and an
        // answer that takes longer than the longest wait plus the longest generation (a client that stops reading a
        // stream) has its connection closed
        if (System.getProperty("sun.net.httpserver.maxReqTime") == null) System.setProperty("sun.net.httpserver.maxReqTime", "30");
        if (System.getProperty("sun.net.httpserver.maxRspTime") == null)
            System.setProperty("sun.net.httpserver.maxRspTime",
                    Long.toString((limits.queueTimeoutMs() + limits.timeLimitMs()) / 1000 + 30));
        if (System.getProperty("jdk.httpserver.maxConnections") == null) System.setProperty("jdk.httpserver.maxConnections", "1000");
        LoadedModels models = this.models.load();
        BltServer server;
        try {
            server = BltServer.start(models, limits, host, port, cache.cached(), maxBatch, line -> System.err.println(line));
        } catch (java.io.IOException e) {
            throw new Blt4jException("cannot listen on " + host + ":" + port + " (" + e.getMessage() + "): pick another --port or --host");
        }
        long grace = limits.timeLimitMs() + 5_000;   // SIGTERM: running and queued generations finish first
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("blt4j: stopping: no new requests; waiting up to " + grace / 1000 + " s for those running");
            int left = server.shutdown(grace);
            System.err.println("blt4j: stopped" + (left > 0 ? " (" + left + " generations cut off)" : ""));
        }, "blt4j-serve-stop"));
        System.err.printf("blt4j: serving %s (patching threshold %s) at %s%n", models.name(), models.threshold(), server.uri());
        System.err.printf("blt4j: limits: prompt %d B, answer %d B, %d running + %d queued (%.0f s wait), %.0f s per generation, body %d B%n",
                limits.maxPromptBytes(), limits.maxOutputBytes(), limits.maxConcurrent(), limits.maxQueued(),
                limits.queueTimeoutMs() / 1000.0, limits.timeLimitMs() / 1000.0, limits.maxBodyBytes());
        System.err.printf("blt4j: %s%n", server.batching() ? "continuous batching of up to " + maxBatch + " generations"
                : "one generation per thread (no batching)");
        Thread.currentThread().join(); // until killed
        return 0;
    }

    ServerLimits limits() {
        ServerLimits d = ServerLimits.defaults();
        // batching: by default as many generations run as one step holds (more than one per core)
        int concurrent = admission.concurrent(Math.max(d.maxConcurrent(), maxBatch)), queued = admission.queued(d.maxQueued());
        if (httpThreads != null && httpThreads > 4 * AdmissionOptions.MAX_REQUESTS)
            throw new Blt4jException("--http-threads must be at most " + 4 * AdmissionOptions.MAX_REQUESTS + ", got " + httpThreads);
        int out = maxOutputBytes == null ? d.maxOutputBytes() : atLeast0("--max-output-bytes", maxOutputBytes);
        return new ServerLimits(
                maxPromptBytes == null ? d.maxPromptBytes() : atLeast0("--max-prompt-bytes", maxPromptBytes),
                out,
                Math.min(out, defaultMaxTokens == null ? d.defaultMaxTokens() : atLeast0("--default-max-tokens", defaultMaxTokens)),
                concurrent, queued,
                millis("--queue-timeout", queueTimeout, d.queueTimeoutMs(), true),
                millis("--time-limit", timeLimit, d.timeLimitMs(), false),
                positive("--max-body-bytes", maxBodyBytes, d.maxBodyBytes()),
                positive("--http-threads", httpThreads, ServerLimits.threadsFor(concurrent, queued)));
    }

    private static int positive(String name, Integer v, int dflt) {
        if (v == null) return dflt;
        if (v < 1) throw new Blt4jException(name + " must be >= 1, got " + v);
        return v;
    }

    private static int atLeast0(String name, int v) {
        if (v < 0) throw new Blt4jException(name + " must be >= 0, got " + v);
        return v;
    }

    private static long millis(String name, Double seconds, long dflt, boolean zeroOk) {
        if (seconds == null) return dflt;
        if (!Double.isFinite(seconds) || seconds < 0 || (!zeroOk && seconds == 0) || seconds > 86400)
            throw new Blt4jException(name + " must be a number of seconds in " + (zeroOk ? "[0" : "(0") + ", 86400], got " + seconds);
        return Math.max(zeroOk ? 0 : 1, Math.round(seconds * 1000));
    }
}
