package org.blt4j.run;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.blt4j.Blt4jException;
import org.blt4j.io.ModelDirs;

/**
 * File helpers of the training package: a strict JSON mapper, hidden temporary siblings, atomic small-file writes
 * (temp + fsync + rename), folder fsync and best-effort clean-up.
 */
public final class RunFiles {
    /** The code base's mapper (org.blt4j.io.Json). */
    static final ObjectMapper JSON = org.blt4j.io.Json.MAPPER;

    private RunFiles() {}

    /** A fresh hidden sibling of {@code target}: ".NAME.KIND-RANDOM" in the same folder (same file system). */
    static Path sibling(Path target, String kind) {
        String rnd = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + rnd);
    }

    /** Writes {@code bytes} to {@code target} atomically: a hidden sibling is written, fsynced and renamed over it. */
    public static void writeAtomically(Path target, byte[] bytes) {
        Path tmp = sibling(target, "tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            fsyncDir(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new Blt4jException("cannot write " + target + ": " + e, e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    /**
     * Deletes {@code target} and the temporaries of {@link #writeAtomically} writers of it that were killed mid-write
     * (".NAME.tmp-*": a worker state's is as large as the state). For files no live process writes any more: DiLoCo's
     * states of a round that a later committed round replaced. Absent is fine; a temporary that cannot be deleted is left.
     */
    public static void deleteWithTemporaries(Path target) throws IOException {
        Files.deleteIfExists(target);
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) return;
        String prefix = "." + target.getFileName() + ".tmp-";
        try (var siblings = Files.newDirectoryStream(dir, p -> p.getFileName().toString().startsWith(prefix))) {
            for (Path tmp : siblings) deleteQuietly(tmp);
        }
    }

    static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /** Jackson's message without its source dump. */
    static String describe(JacksonException e) {
        return org.blt4j.io.Json.describe(e);
    }

    /** Makes a rename inside {@code dir} durable; best effort. */
    static void fsyncDir(Path dir) {
        org.blt4j.io.AtomicFiles.fsyncDir(dir);
    }

    /** Deletes a file or a folder tree, ignoring errors (clean-up paths only). */
    static void deleteQuietly(Path p) {
        org.blt4j.io.AtomicFiles.deleteQuietly(p);
    }

    /**
     * Refuses to start a new run in a folder that already holds one (a {@code latest} file): the new run's checkpoints
     * would prune the old run's and its metrics would be appended to the old log.
     */
    public static void requireNoRun(Path runDir) {
        Path latest = runDir.resolve(TrainCheckpoint.LATEST);
        if (Files.isRegularFile(latest)) {
            String at;
            try {
                at = Files.readString(latest).strip();
            } catch (IOException e) {
                at = "?";
            }
            throw new Blt4jException("run folder " + runDir + " already holds a run (latest: " + at + "): continue it with --resume, "
                    + "give another --out, or delete the folder");
        }
        List<Path> steps = ModelDirs.steps(runDir);   // a new run would prune them as its own
        if (!steps.isEmpty())
            throw new Blt4jException("run folder " + runDir + " holds checkpoints (" + steps.getLast().getFileName() + " and "
                    + (steps.size() - 1) + " more) but no " + TrainCheckpoint.LATEST + " file: continue from one with --resume "
                    + steps.getLast() + " (train-diloco: --resume), give another --out, or delete the folder");
    }

    /**
     * Holds {@code runDir/.lock} for one training process: a second run in the same folder (two terminals, two
     * clients) is refused instead of both writing checkpoints over each other. Released by close() or at exit.
     */
    /**
     * What every training run does first: a new run ({@code resume} false) checks the folder holds no run
     * ({@link #requireNoRun}); then the folder is locked for this process ({@link #lock}).
     */
    public static Lock claim(Path runDir, boolean resume) {
        if (!resume) requireNoRun(runDir);
        return lock(runDir);
    }

    /** A held run-folder lock. */
    public interface Lock extends AutoCloseable {
        @Override
        void close();
    }

    public static Lock lock(Path runDir) {
        if (Files.exists(runDir) && !Files.isDirectory(runDir))
            throw new Blt4jException("run folder " + runDir + " is a file: give --out a folder (it is created if missing)");
        try {
            Files.createDirectories(runDir);
            FileChannel ch = FileChannel.open(runDir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            java.nio.channels.FileLock held;
            try {
                held = ch.tryLock();
            } catch (java.nio.channels.OverlappingFileLockException e) {
                held = null;
            }
            if (held == null) {
                ch.close();
                throw new Blt4jException("run folder " + runDir + " is in use by another training run (it holds " + runDir.resolve(".lock")
                        + "); wait for it to end or give another --out");
            }
            java.nio.channels.FileLock lock = held;
            return () -> {
                try {
                    lock.release();
                    ch.close();
                } catch (IOException e) {
                    // the lock goes with the process anyway
                }
            };
        } catch (IOException e) {
            throw new Blt4jException("cannot lock run folder " + runDir + ": " + e.getMessage(), e);
        }
    }
}
