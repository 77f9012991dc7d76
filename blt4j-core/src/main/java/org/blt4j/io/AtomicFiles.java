package org.blt4j.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Helpers for write-to-a-temporary-sibling-then-rename: hidden sibling names, fsync of folders, clean-up. */
public final class AtomicFiles {
    private AtomicFiles() {}

    private static final long PID = ProcessHandle.current().pid();
    /** ".NAME.KIND-PID-RANDOM": groups NAME, KIND, PID */
    private static final Pattern SIBLING = Pattern.compile("\\.(.+)\\.(tmp|old)-(\\d{1,18})-[0-9a-f]{16}");

    /**
     * A fresh hidden sibling of {@code target}: ".NAME.KIND-PID-RANDOM" in the same folder (same file system), KIND
     * "tmp" (being written) or "old" (a previous version moved aside for a swap), PID this process's (so that
     * {@link #removeStale} can tell a dead writer's leftovers from a live one's work).
     */
    public static Path sibling(Path target, String kind) {
        String rnd = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + PID + "-" + rnd);
    }

    /**
     * Cleans up after a writer of {@code target} that was killed mid-write (kill -9, power loss): its hidden siblings
     * whose process is gone are removed, except an "old" one (a previous folder moved aside just before the new one
     * was renamed in) while {@code target} is missing: that one is renamed back to {@code target}. Siblings of live
     * processes (this one included) are left alone: another writer may be at work. Assumes the folder is not written
     * from two machines (or two containers, whose pids are not comparable) at once. Best effort: a folder that cannot
     * be listed is left as it is.
     */
    public static void removeStale(Path target) {
        deadSiblings(target, true);
    }

    /**
     * For readers: when {@code target} is missing because a writer was killed between the two renames of a swap (the
     * previous version moved aside, the new one not yet renamed in), renames the moved-aside copy back, as the next
     * write would, and returns true. Deletes nothing. Best effort: false when there is nothing to restore or the rename
     * fails (e.g. a read-only folder).
     */
    public static boolean restoreMovedAside(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        return !Files.exists(abs, LinkOption.NOFOLLOW_LINKS) && deadSiblings(target, false)
                && Files.exists(abs, LinkOption.NOFOLLOW_LINKS);
    }

    /**
     * The hidden siblings of {@code target} left by processes that are gone: a moved-aside "old" one is renamed back
     * while target is missing; with {@code delete} the others are deleted. Returns whether one was renamed back.
     */
    private static boolean deadSiblings(Path target, boolean delete) {
        Path abs = target.toAbsolutePath().normalize(), dir = abs.getParent();
        if (dir == null || abs.getFileName() == null) return false;
        String name = abs.getFileName().toString(), prefix = "." + name + ".";
        boolean restored = false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path p : ds) {
                Matcher m = SIBLING.matcher(p.getFileName().toString());
                if (!m.matches() || !m.group(1).equals(name)) continue;
                long pid = Long.parseLong(m.group(3));
                if (pid == PID || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (m.group(2).equals("old") && !Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
                    try {
                        Files.move(p, abs, StandardCopyOption.ATOMIC_MOVE); // the swap was cut between its renames
                        restored = true;
                    } catch (IOException ignored) {
                        // left for the next writer
                    }
                } else if (delete) {
                    deleteQuietly(p);
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
        return restored;
    }

    /**
     * Creates a new empty temporary file next to {@code target}, open for writing. Unlike Files.createTempFile it
     * gets the folder's default permissions, so the renamed result looks like any other file the user writes.
     */
    static FileChannel createSiblingFile(Path target, Path[] created) throws IOException {
        removeStale(target);
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
