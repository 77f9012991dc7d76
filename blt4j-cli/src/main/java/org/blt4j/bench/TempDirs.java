package org.blt4j.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.blt4j.io.AtomicFiles;

/**
 * The benches' temporary folders (up to ~10 GB of checkpoints): deleted when the bench ends ({@link #delete}), and
 * also when the JVM is stopped by a signal (Ctrl-C, {@code kill}, {@code timeout}) through a shutdown hook. Only a
 * {@code kill -9} leaves one behind.
 */
public final class TempDirs {
    private static final Map<Path, Thread> HOOKS = new ConcurrentHashMap<>();

    private TempDirs() {}

    /** A new folder {@code prefix…} under {@code parent} (null: the system temp folder), deleted at exit at the latest. */
    public static Path create(Path parent, String prefix) {
        try {
            Path d = parent == null ? Files.createTempDirectory(prefix) : Files.createTempDirectory(parent, prefix);
            Thread hook = new Thread(() -> AtomicFiles.deleteQuietly(d), "blt4j-delete-" + d.getFileName());
            Runtime.getRuntime().addShutdownHook(hook);
            HOOKS.put(d, hook);
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a temporary folder under "
                    + (parent == null ? System.getProperty("java.io.tmpdir") : parent) + ": " + e.getMessage(), e);
        }
    }

    /** Deletes {@code dir} now (best effort) and forgets its hook. */
    public static void delete(Path dir) {
        if (dir == null) return;
        Thread hook = HOOKS.remove(dir);
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        AtomicFiles.deleteQuietly(dir);
    }
}
