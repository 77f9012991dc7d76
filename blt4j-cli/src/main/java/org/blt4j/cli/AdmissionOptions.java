package org.blt4j.cli;

import org.blt4j.Blt4jException;
import picocli.CommandLine.Option;

/** --max-concurrent and --max-queued: how many requests the server runs and lets wait. */
final class AdmissionOptions {
    /** The most requests each may allow: each running or waiting request holds a thread. */
    static final int MAX_REQUESTS = 10_000;

    @Option(names = "--max-concurrent", paramLabel = "N", description = "generations running at once (default: one per core; serve: at least --max-batch)")
    Integer maxConcurrent;

    @Option(names = "--max-queued", paramLabel = "N", description = "requests waiting for a turn; more get 429 (default: 32)")
    Integer maxQueued;

    int concurrent(int dflt) {
        return checked("--max-concurrent", maxConcurrent, dflt, 1);
    }

    int queued(int dflt) {
        return checked("--max-queued", maxQueued, dflt, 0);
    }

    private static int checked(String name, Integer v, int dflt, int min) {
        if (v == null) return dflt;
        if (v < min || v > MAX_REQUESTS)
            throw new Blt4jException(name + " must be in [" + min + ", " + MAX_REQUESTS + "], got " + v);
        return v;
    }
}
