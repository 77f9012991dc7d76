package org.blt4j.server;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Bounds the work running at once: up to {@code running} requests work, up to {@code queued} more wait (first come,
 * first served) for at most a time limit; any more are turned away at once.
 */
final class Admission {
    enum Result {
        /** a permit was taken: call {@link #leave()} when done */
        ADMITTED,
        /** the queue was full (429) */
        QUEUE_FULL,
        /** waited past the time limit (503) */
        TIMED_OUT
    }

    private final Semaphore permits;
    private final int maxQueued;
    private final AtomicInteger waiting = new AtomicInteger();

    Admission(int running, int queued) {
        if (running < 1 || queued < 0) throw new IllegalArgumentException("running >= 1 and queued >= 0");
        this.permits = new Semaphore(running, true);
        this.maxQueued = queued;
    }

    Result enter(long timeoutMillis) throws InterruptedException {
        if (permits.tryAcquire()) return Result.ADMITTED;
        if (waiting.incrementAndGet() > maxQueued) {
            waiting.decrementAndGet();
            return Result.QUEUE_FULL;
        }
        try {
            return permits.tryAcquire(timeoutMillis, TimeUnit.MILLISECONDS) ? Result.ADMITTED : Result.TIMED_OUT;
        } finally {
            waiting.decrementAndGet();
        }
    }

    void leave() {
        permits.release();
    }

    int waiting() {
        return waiting.get();
    }
}
