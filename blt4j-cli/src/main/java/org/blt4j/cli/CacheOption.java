package org.blt4j.cli;

import picocli.CommandLine.Option;

/** --no-cache: generate with the reference generator instead of the cached one. */
final class CacheOption {
    @Option(names = "--no-cache", description = "use the reference generator that recomputes everything at every byte")
    boolean noCache;

    /** Whether generation is cached (the default). */
    boolean cached() {
        return !noCache;
    }
}
