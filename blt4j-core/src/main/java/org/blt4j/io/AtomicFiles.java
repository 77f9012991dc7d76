package org.blt4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/** Helpers for write-to-a-temporary-sibling-then-rename: hidden sibling names, fsync of folders, clean-up. */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** A fresh hidden sibling of {@code target}: ".NAME.KIND-RANDOM" in the same folder (same file system). */
    static Path sibling(Path target, String kind) {
        String rnd = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + rnd);
    }

    /**
     * Creates a new empty temporary file next to {@code target}, open for writing. Unlike Files.createTempFile it
     * gets the folder's default permissions, so the renamed result looks like any other file the user writes.
     */
    static FileChannel createSiblingFile(Path target, Path[] created) throws IOException {
        for (int attempt = 0; ; attempt++) {
            Path tmp = sibling(target, "tmp");
            try {
                FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                created[0] = tmp;
                return ch;
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 10) throw e;
            }
        }
    }

    /** Makes a rename inside {@code dir} durable. Not every platform can open a folder; failures are ignored. */
    public static void fsyncDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException ignored) {
            // best effort (e.g. Windows cannot open folders)
        }
    }

    /** Deletes a file or a folder tree (absent is fine); the first failure is thrown, for callers that must not go on with a leftover. */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> all = Files.walk(p)) {
            for (Path f : all.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
        }
    }

    /** Deletes a file or a folder tree, ignoring errors (used on clean-up paths only). */
    public static void deleteQuietly(Path p) {
        if (p == null || !Files.exists(p, LinkOption.NOFOLLOW_LINKS)) return;
        try (Stream<Path> s = Files.walk(p)) {
            s.sorted(Comparator.reverseOrder()).forEach(q -> {
                try {
                    Files.deleteIfExists(q);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
