package org.blt4j.server;

/**
 * The server's limits.
 *
 * @param maxPromptBytes    longest prompt, in UTF-8 bytes (longer: 422 naming "prompt")
 * @param maxOutputBytes    largest max_tokens a completion may ask for (larger: 422 naming "max_tokens")
 * @param defaultMaxTokens  max_tokens when a request leaves it out
 * @param maxConcurrent     generations (and patch requests, counted apart) running at once
 * @param maxQueued         requests that may wait for a turn; more get 429 with Retry-After
 * @param queueTimeoutMs    longest wait for a turn; longer gets 503 with Retry-After
 * @param timeLimitMs       longest a generation may run; then it ends with finish_reason "time_limit"
 * @param maxBodyBytes      largest request body (larger: 413)
 * @param httpThreads       threads serving requests (parsing, waiting, generating, answering)
 */
public record ServerLimits(int maxPromptBytes, int maxOutputBytes, int defaultMaxTokens, int maxConcurrent, int maxQueued,
                           long queueTimeoutMs, long timeLimitMs, int maxBodyBytes, int httpThreads) {
    /** At most this many stop strings, each at most MAX_STOP_BYTES long. */
    static final int MAX_STOPS = 4;
    static final int MAX_STOP_BYTES = 256;

    public ServerLimits {
        if (maxPromptBytes < 0 || maxOutputBytes < 0 || defaultMaxTokens < 0 || maxConcurrent < 1 || maxQueued < 0
                || queueTimeoutMs < 0 || timeLimitMs < 1 || maxBodyBytes < 1 || httpThreads < 1)
            throw new org.blt4j.Blt4jException("server limits must be positive (queue and prompt limits may be 0)");
    }

    /** Enough threads for every running and waiting request of both queues, and 16 more for quick answers. */
    public static int threadsFor(int maxConcurrent, int maxQueued) {
        return 2 * (maxConcurrent + maxQueued) + 16;
    }

    /** The defaults: 4096-byte prompts, 512-byte answers (16 by default), one generation per core, 32 waiting for at most 10 s, 60 s per generation, 64 KiB bodies. */
    public static ServerLimits defaults() {
        int cores = Math.max(1, Runtime.getRuntime().availableProcessors());
        return new ServerLimits(4096, 512, 16, cores, 32, 10_000, 60_000, 64 * 1024, threadsFor(cores, 32));
    }
}
