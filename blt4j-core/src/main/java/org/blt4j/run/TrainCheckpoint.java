package org.blt4j.run;

import org.blt4j.train.AdamW;
import org.blt4j.train.Training;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.ModelDirs;
import org.blt4j.io.SafeTensors;
import org.blt4j.io.SafeTensorsWriter;
import org.blt4j.io.TensorData;
import org.blt4j.nn.ParamStore;

/**
 * Training checkpoints in a run folder:
 * <pre>
 * RUN/
 *   latest                   "step-000123\n": the newest complete step folder (replaced atomically)
 *   step-000100/ ...         older step folders, at most keepLast in all
 *   step-000123/
 *     config.json            {"args": {...}}: the model arguments   } a hub-layout checkpoint: inference commands
 *     model.safetensors      every parameter under its name, F32    } take this folder as a model as it is
 *     optimizer.safetensors  AdamW moments, F32: "m.NAME" and "v.NAME" per parameter (absent when saved without)
 *     state.json             {"format": "blt4j-train-state", "version": 1, "step", "tokens_seen", "bytes_seen",
 *                             "data_position", "lr_step", "rng_state": [...], "train_config": {...}, "extra": {...}}
 * </pre>
 * The moments are stored per parameter, with the parameter's shape, so that they are checked by name and shape like
 * the weights and survive a change in the order of the parameters in the flat buffer.
 * <p>
 * {@link #save} writes a step folder into a hidden sibling, renames it into place, then replaces {@code latest}, then
 * deletes step folders beyond the last {@code keepLast}. A save that fails at any point leaves the previous
 * checkpoint and {@code latest} as they were and removes what it had written. One writer per run folder.
 */
public final class TrainCheckpoint {
    public static final String LATEST = ModelDirs.LATEST;
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String STATE = ModelDirs.STATE;

    /** Hidden leftovers of a save killed half-way (our own and Checkpoint.write's siblings). */
    private static final Pattern LEFTOVER = Pattern.compile("\\.+(step-\\d+|latest)\\.(?:.*\\.)?(tmp|old|gone)-[0-9a-f]{16}.*");

    private final Path runDir;
    private final int keepLast;
    /**
     * Test hook, called with "write NAME" while tensor NAME is written, "staged" (step folder complete, not yet
     * renamed) and "installed" (renamed into place, latest not yet replaced); it injects failures by throwing.
     */
    Consumer<String> hook = stage -> {};

    /** Checkpoints of the run in {@code runDir} (created when needed), keeping the newest {@code keepLast} steps. */
    public TrainCheckpoint(Path runDir, int keepLast) {
        if (keepLast < 1) throw new Blt4jException("keepLast must be >= 1, got " + keepLast);
        this.runDir = Objects.requireNonNull(runDir, "runDir").toAbsolutePath().normalize();
        this.keepLast = keepLast;
    }

    public Path runDir() {
        return runDir;
    }

    /** "step-000123": the folder name of a step (six digits at least). */
    public static String stepName(long step) {
        if (step < 0) throw new Blt4jException("step must be >= 0, got " + step);
        return String.format("step-%06d", step);
    }

    // ---- saving ----

    /**
     * Saves {@code params} (and the AdamW moments {@code m}, {@code v}: both null, or both of the store's size and
     * layout) with {@code state} as step folder {@code stepName(state.step())}, replacing one of that step if present.
     * {@code modelArgs} is config.json's "args": a JsonNode object, a Map or a record such as BltArgs.
     * Returns the step folder. Step folders beyond the newest {@code keepLast} are deleted, and so are folders of
     * steps after this one (left by a run that was resumed from an earlier step).
     */
    public Path save(TrainState state, Object modelArgs, ParamStore params, float[] m, float[] v) {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(params, "params");
        checkMoments(params, m, v);
        JsonNode args;
        try {
            args = modelArgs instanceof JsonNode j ? j : RunFiles.JSON.valueToTree(modelArgs);
        } catch (IllegalArgumentException e) {
            throw new Blt4jException("cannot encode the model arguments as JSON: " + e.getMessage(), e);
        }
        try {
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new Blt4jException("cannot create run folder " + runDir + ": " + e, e);
        }
        removeLeftovers();
        Path target = runDir.resolve(stepName(state.step()));
        Path stage = RunFiles.sibling(target, "tmp");
        try {
            Checkpoint.write(stage, args, tensors(params, params.data(), ""), DType.F32);
            if (m != null) {
                SafeTensorsWriter w = new SafeTensorsWriter(DType.F32).metadata("format", "blt4j-adamw-moments");
                tensors(params, m, "m.").forEach(w::add);
                tensors(params, v, "v.").forEach(w::add);
                w.write(stage.resolve(OPTIMIZER));
            }
            RunFiles.writeAtomically(stage.resolve(STATE), RunFiles.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(state.toJson()));
            RunFiles.fsyncDir(stage);
            hook.accept("staged");
        } catch (JacksonException e) {
            RunFiles.deleteQuietly(stage);
            throw new Blt4jException("cannot encode " + STATE + ": " + RunFiles.describe(e), e);
        } catch (RuntimeException | Error e) {
            RunFiles.deleteQuietly(stage);
            throw e;
        }
        install(stage, target);
        prune(state.step());
        return target;
    }

    /** Renames the staged folder to {@code target}, then points {@code latest} at it; undoes both on failure. */
    private void install(Path stage, Path target) {
        Path old = Files.exists(target, LinkOption.NOFOLLOW_LINKS) ? RunFiles.sibling(target, "old") : null;
        boolean installed = false;
        try {
            if (old != null) Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
            installed = true;
            hook.accept("installed");
            RunFiles.writeAtomically(runDir.resolve(LATEST),
                    (target.getFileName() + "\n").getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            rollBack(stage, target, old, installed);
            throw new Blt4jException("cannot install checkpoint " + target + ": " + e, e);
        } catch (RuntimeException | Error e) {
            rollBack(stage, target, old, installed);
            throw e;
        }
        RunFiles.deleteQuietly(old);
        RunFiles.fsyncDir(runDir);
    }

    private static void rollBack(Path stage, Path target, Path old, boolean installed) {
        RunFiles.deleteQuietly(stage);
        if (installed) {
            Path gone = RunFiles.sibling(target, "gone");
            try {
                Files.move(target, gone, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException ignored) {
                gone = target;
            }
            RunFiles.deleteQuietly(gone);
        }
        if (old != null && Files.exists(old, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.move(old, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException ignored) {
                // it stays under its hidden name; the next save puts it back (removeLeftovers)
            }
        }
    }

    private void prune(long saved) {
        List<Path> steps = ModelDirs.steps(runDir);
        int kept = 0;
        for (int i = steps.size() - 1; i >= 0; i--) {
            long s = ModelDirs.stepOf(steps.get(i));
            if (s == saved || (s < saved && ++kept < keepLast)) continue;
            RunFiles.deleteQuietly(steps.get(i));
        }
    }

    /**
     * Deletes what a save killed half-way left behind, except a step folder moved aside for its replacement whose
     * replacement never arrived: that one is put back.
     */
    private void removeLeftovers() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(runDir)) {
            for (Path p : ds) {
                Matcher mt = LEFTOVER.matcher(p.getFileName().toString());
                if (!mt.matches()) continue;
                Path original = runDir.resolve(mt.group(1));
                if (mt.group(2).equals("old") && !Files.exists(original, LinkOption.NOFOLLOW_LINKS))
                    Files.move(p, original, StandardCopyOption.ATOMIC_MOVE);
                else
                    RunFiles.deleteQuietly(p);
            }
        } catch (IOException e) {
            throw new Blt4jException("cannot clean up run folder " + runDir + ": " + e, e);
        }
    }

    private static void checkMoments(ParamStore params, float[] m, float[] v) {
        if ((m == null) != (v == null)) throw new Blt4jException("pass both AdamW moments m and v, or neither");
        if (m != null && (m.length != params.size() || v.length != params.size()))
            throw new Blt4jException("AdamW moments have " + m.length + " and " + v.length + " elements, the model has "
                    + params.size() + " parameters");
    }

    /** Every parameter of the store as a tensor viewing {@code buf} (data, m or v), named PREFIX + name. */
    private Map<String, TensorData> tensors(ParamStore params, float[] buf, String prefix) {
        Map<String, TensorData> out = new LinkedHashMap<>();
        for (ParamStore.Param p : params.params()) {
            String name = prefix + p.name();
            TensorData.Source src = TensorData.slice(buf, p.offset(), longs(p.shape())).source();
            out.put(name, TensorData.lazy((start, dst, off, n) -> {
                hook.accept("write " + name);
                src.read(start, dst, off, n);
            }, longs(p.shape())));
        }
        return out;
    }

    // ---- finding ----




    // ---- loading ----

    /** The latest checkpoint of a run folder: see {@link #load}. */
    public static TrainState loadLatest(Path runDir, ParamStore params, float[] m, float[] v) {
        if (!Files.isRegularFile(runDir.resolve(LATEST)))
            throw new Blt4jException("no checkpoint in " + runDir + " (no " + LATEST + " file)");
        return load(runDir, params, m, v);
    }

    /**
     * Restores a checkpoint ({@code dir}: a step folder, or a run folder for its latest step) into {@code params} and,
     * when not null, the moments {@code m} and {@code v}; returns its state. Every parameter must be present with its
     * shape and nothing else may be: all is checked before anything is overwritten.
     * Read the model arguments first, to build the model, with {@code Checkpoint.readArgs(ModelDirs.resolve(dir), ...)}.
     */
    public static TrainState load(Path dir, ParamStore params, float[] m, float[] v) {
        Path step = ModelDirs.resolve(dir);
        checkMoments(params, m, v);
        TrainState state = readState(step);
        try (SafeTensors w = Checkpoint.weights(step)) {
            if (m == null) {
                check(w, params, List.of(""));
                restore(w, params, params.data(), "");
                return state;
            }
            Path optFile = step.resolve(OPTIMIZER);
            if (!Files.isRegularFile(optFile))
                throw new Blt4jException(step + " has no " + OPTIMIZER + " (saved without optimizer state): load it"
                        + " without moments, or start AdamW from zero");
            try (SafeTensors opt = SafeTensors.open(optFile)) {
                check(w, params, List.of(""));
                check(opt, params, List.of("m.", "v."));
                restore(w, params, params.data(), "");
                restore(opt, params, m, "m.");
                restore(opt, params, v, "v.");
            }
        }
        return state;
    }

    /** Just the state of a checkpoint (a step folder, or a run folder for its latest step). */
    public static TrainState readState(Path dir) {
        Path file = ModelDirs.resolve(dir).resolve(STATE);
        try {
            return TrainState.fromJson(RunFiles.JSON.readTree(RunFiles.readAll(file)), file.toString());
        } catch (JacksonException e) {
            throw new Blt4jException(file + " is not valid JSON: " + RunFiles.describe(e), e);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /** The file must hold exactly PREFIX + name for every parameter and prefix, each with the parameter's shape. */
    private static void check(SafeTensors f, ParamStore params, List<String> prefixes) {
        TreeSet<String> extra = new TreeSet<>(f.names());
        List<String> missing = new ArrayList<>();
        for (String prefix : prefixes)
            for (ParamStore.Param p : params.params()) {
                String name = prefix + p.name();
                if (!extra.remove(name)) missing.add(name);
                else f.checkShape(name, longs(p.shape()));
            }
        if (!missing.isEmpty() || !extra.isEmpty())
            throw new Blt4jException(f.path() + " does not match the model: " + (missing.isEmpty() ? "" : "missing "
                    + first(missing)) + (missing.isEmpty() || extra.isEmpty() ? "" : "; ")
                    + (extra.isEmpty() ? "" : "unexpected " + first(new ArrayList<>(extra))));
    }

    private static void restore(SafeTensors f, ParamStore params, float[] buf, String prefix) {
        for (ParamStore.Param p : params.params()) f.readFloats(prefix + p.name(), buf, p.offset());
    }

    private static String first(List<String> names) {
        return names.size() <= 5 ? names.toString() : names.subList(0, 5) + " and " + (names.size() - 5) + " more";
    }


    private static long[] longs(int[] shape) {
        return Arrays.stream(shape).asLongStream().toArray();
    }
}
