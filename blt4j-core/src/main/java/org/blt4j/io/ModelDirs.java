package org.blt4j.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blt4j.Blt4jException;

/**
 * The folders a model can be loaded from: a hub checkpoint ({@code config.json} + weights), a training step folder
 * ({@code step-000123/}, a hub checkpoint with {@code state.json} beside it), or a run folder, whose {@code latest} file
 * names its newest complete step folder.
 */
public final class ModelDirs {
    public static final String LATEST = "latest";
    public static final String STATE = "state.json";
    /** The reference trainer's layout (model.ReferenceLayout): params.json + consolidated.pth. */
    public static final String REFERENCE_PARAMS = "params.json";
    public static final String REFERENCE_WEIGHTS = "consolidated.pth";
    private static final Pattern STEP_DIR = Pattern.compile("step-(\\d{6,19})");

    private ModelDirs() {}

    /**
     * The model folder to load from a user's path: a hub or HF checkpoint (config.json) or a reference-trainer folder
     * (params.json) as it is, else {@link #resolve}: a step folder, or a run folder's latest step.
     */
    public static Path resolveModel(Path dir) {
        if (!Files.exists(dir)) AtomicFiles.restoreMovedAside(dir); // a swap killed between its renames
        if (Files.isRegularFile(dir.resolve(Checkpoint.CONFIG)) || Files.isRegularFile(dir.resolve(REFERENCE_PARAMS))) return dir;
        requireRegular(dir.resolve(Checkpoint.CONFIG));   // there, but a FIFO, a folder, a link to /dev/zero...: say so
        requireRegular(dir.resolve(REFERENCE_PARAMS));
        requireRegular(dir.resolve(STATE));
        requireRegular(dir.resolve(LATEST));
        try {
            return resolve(dir);
        } catch (Blt4jException e) {
            if (!Files.isDirectory(dir) || Files.isRegularFile(dir.resolve(LATEST))) throw e; // missing, or a broken run
            throw new Blt4jException(dir + " is not a model folder: it has no " + Checkpoint.CONFIG + " (hub or Hugging Face"
                    + " layout, with " + Checkpoint.WEIGHTS + "), no " + REFERENCE_PARAMS + " (reference-trainer layout, with "
                    + REFERENCE_WEIGHTS + "), no " + STATE + " (training step folder) and no " + LATEST + " file (run folder)"
                    + (steps(dir).isEmpty() ? "" : "; it holds step folders: pass one of them"));
        }
    }

    /** A step folder as it is, or a run folder's latest step folder (named by its {@code latest} file). */
    public static Path resolve(Path dir) {
        if (!Files.exists(dir)) AtomicFiles.restoreMovedAside(dir);
        if (Files.isRegularFile(dir.resolve(STATE))) return dir;
        requireRegular(dir.resolve(STATE));
        Path pointer = dir.resolve(LATEST);
        requireRegular(pointer);
        if (!Files.isRegularFile(pointer)) {
            if (Files.isRegularFile(dir) && dir.getFileName() != null && dir.getFileName().toString().equals(LATEST))
                throw new Blt4jException(dir + " is the file that names a run's latest step: pass the run folder "
                        + dir.toAbsolutePath().getParent() + " instead");
            if (Files.isRegularFile(dir))
                throw new Blt4jException(dir + " is a file, not a checkpoint folder: pass the folder that holds it"
                        + (dir.toAbsolutePath().getParent() == null ? "" : " (" + dir.toAbsolutePath().getParent() + ")"));
            if (!Files.isDirectory(dir)) throw new Blt4jException("checkpoint folder " + dir + " does not exist");
            throw new Blt4jException(dir + " is neither a training step folder (no " + STATE + ") nor a run folder (no "
                    + LATEST + " file)" + (steps(dir).isEmpty() ? "" : "; it holds step folders: pass one of them"));
        }
        String name = new String(readPointer(pointer), StandardCharsets.UTF_8).strip();
        if (!STEP_DIR.matcher(name).matches())
            throw new Blt4jException(pointer + " should name a step folder like step-000123, it holds '" + name + "'");
        Path step = dir.resolve(name);
        if (!Files.isRegularFile(step.resolve(STATE)))
            throw new Blt4jException(pointer + " names " + name + ", which is missing or incomplete (no " + STATE + ")");
        return step;
    }

    /** Complete step folders of a run, oldest (lowest step) first. */
    public static List<Path> steps(Path runDir) {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(runDir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir)) {
            for (Path p : ds)
                if (STEP_DIR.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) out.add(p);
        } catch (IOException e) {
            throw new Blt4jException("cannot list run folder " + runDir + ": " + e, e);
        }
        out.sort(Comparator.comparingLong(ModelDirs::stepOf));
        return out;
    }

    public static long stepOf(Path stepDir) {
        Matcher mt = STEP_DIR.matcher(stepDir.getFileName().toString());
        if (!mt.matches()) throw new IllegalArgumentException(stepDir.toString());
        return Long.parseLong(mt.group(1));
    }

    /** Most bytes a {@code latest} file may hold (a step folder's name and a newline); more is not one written by blt4j. */
    static final int MAX_LATEST = 64;

    /** The {@code latest} file's bytes, read no further than {@link #MAX_LATEST} (a 300 MB one ran out of heap). */
    private static byte[] readPointer(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(MAX_LATEST + 1);
            if (b.length > MAX_LATEST)
                throw new Blt4jException(file + " holds more than " + MAX_LATEST + " bytes: it should hold only the name of"
                        + " the run's latest step folder, like step-000123; rewrite it or pass a step folder");
            return b;
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /**
     * Refuses a {@code file} that is there but is no regular file to read: a folder, a FIFO or device (e.g. a link to
     * /dev/zero), a dangling link or a link loop. Absent or regular (links to one included): returns.
     */
    public static void requireRegular(Path file) {
        if (Files.isRegularFile(file) || !Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return;
        String what;
        if (Files.isDirectory(file)) what = "a folder";
        else if (Files.isSymbolicLink(file) && !Files.exists(file)) {
            String to;
            try {
                to = String.valueOf(Files.readSymbolicLink(file));
            } catch (IOException | UnsupportedOperationException e) {
                to = "?";
            }
            what = "a link to " + to + " that leads nowhere (dangling, or a loop of links)";
        } else what = Files.isSymbolicLink(file) ? "a link to a device, FIFO or socket" : "a device, FIFO or socket";
        throw new Blt4jException(file + " exists but is not a regular file (it is " + what + "): replace it with the file itself");
    }
}
