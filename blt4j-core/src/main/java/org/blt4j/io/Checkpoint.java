package org.blt4j.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.blt4j.Blt4jException;

/**
 * A checkpoint folder in the hub layout: {@code config.json} = {"args": {...}} next to {@code model.safetensors}.
 * Writing is atomic for the folder as a whole: both files are written into a hidden sibling folder which then
 * replaces the target, so a reader never sees a config without its weights (or new weights with an old config).
 */
public final class Checkpoint {
    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";

    private Checkpoint() {}

    // ---- reading ----

    /** config.json's root object ({"args": ..., and e.g. "quantization": ...}). */
    public static ObjectNode rawConfig(Path dir) {
        Path file = configFile(dir);
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(file.toFile());
        } catch (JacksonException e) {
            throw new Blt4jException(file + " is not valid JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
        if (root == null || !root.isObject())
            throw new Blt4jException(file + ": expected a JSON object {\"args\": {...}}");
        return (ObjectNode) root;
    }

    /** config.json's "args" object. */
    public static JsonNode rawArgs(Path dir) {
        Path file = dir.resolve(CONFIG);
        ObjectNode root = rawConfig(dir);
        JsonNode args = root.get("args");
        if (args == null)
            throw new Blt4jException(file + " has no \"args\" object: expected {\"args\": {...}} as in the released checkpoints");
        if (!args.isObject())
            throw new Blt4jException(file + ": \"args\" must be a JSON object, got " + args.getNodeType());
        return args;
    }

    /** config.json's "args" read as {@code type} (e.g. BltArgs, LmArgs); errors name the file and the field. */
    public static <T> T readArgs(Path dir, Class<T> type) {
        JsonNode args = rawArgs(dir);
        Path file = dir.resolve(CONFIG);
        try {
            return Json.MAPPER.treeToValue(args, type);
        } catch (JacksonException | IllegalArgumentException e) {
            // Validation errors thrown by the records' constructors arrive wrapped by Jackson: keep their message.
            for (Throwable c = e; c != null; c = c.getCause())
                if (c instanceof Blt4jException b)
                    throw new Blt4jException(file + ": " + b.getMessage().replaceFirst("^config: ", ""), b);
            String field = e instanceof JsonMappingException m ? fieldPath(m) : "";
            String what = e instanceof JacksonException j ? Json.describe(j) : String.valueOf(e.getMessage());
            throw new Blt4jException(file + ": cannot read args" + (field.isEmpty() ? "" : " field '" + field + "'")
                    + " as " + type.getSimpleName() + ": " + what, e);
        }
    }

    /** Opens model.safetensors in {@code dir}; the caller closes it. */
    public static SafeTensors weights(Path dir) {
        checkFolder(dir);
        Path file = dir.resolve(WEIGHTS);
        ModelDirs.requireRegular(file);
        if (!Files.isRegularFile(file)) {
            String hint = Files.exists(dir.resolve(WEIGHTS + ".index.json"))
                    ? " (sharded checkpoints are not supported: merge the shards into one " + WEIGHTS + ")" : "";
            throw new Blt4jException("no " + WEIGHTS + " in " + dir + hint + ": pass a checkpoint folder containing "
                    + CONFIG + " and " + WEIGHTS);
        }
        return SafeTensors.open(file);
    }

    // ---- writing ----

    /** Writes a checkpoint folder (replacing a previous checkpoint there) with the weights stored as {@code dtype}. */
    public static void write(Path dir, JsonNode args, Map<String, TensorData> weights, DType dtype) {
        if (args == null || !args.isObject()) throw new Blt4jException("checkpoint args must be a JSON object");
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.set("args", args);
        byte[] config;
        try {
            config = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(root);
        } catch (JacksonException e) {
            throw new Blt4jException("cannot encode checkpoint args: " + Json.describe(e), e);
        }
        SafeTensorsWriter w = new SafeTensorsWriter(dtype);
        weights.forEach(w::add);
        Path stage = stage(dir, config, w);
        install(stage, dir, true);
    }

    /**
     * Writes a new checkpoint folder from a whole config.json root (which must hold an "args" object) and a prepared
     * writer, whose tensors are read as it writes (so they can stream from another mapped file). Refuses an existing
     * {@code dir}; the folder appears complete or not at all.
     */
    public static void writeNew(Path dir, ObjectNode config, SafeTensorsWriter weights) {
        if (config == null || !config.path("args").isObject())
            throw new Blt4jException("checkpoint config must be a JSON object with an \"args\" object");
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS))
            throw new Blt4jException(dir + " already exists: pass a new folder (nothing is overwritten)");
        byte[] bytes;
        try {
            bytes = Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(config);
        } catch (JacksonException e) {
            throw new Blt4jException("cannot encode checkpoint config: " + Json.describe(e), e);
        }
        Path target = dir.toAbsolutePath().normalize();
        try {
            if (target.getParent() != null) Files.createDirectories(target.getParent());
        } catch (IOException e) {
            throw new Blt4jException("cannot create the folder " + target.getParent() + " for " + target + ": " + e, e);
        }
        install(stage(dir, bytes, weights), target, false);
    }

    /** As above, with args given as a map (values: numbers, strings, booleans, lists, maps, null). */
    public static void write(Path dir, Map<String, ?> args, Map<String, TensorData> weights, DType dtype) {
        JsonNode node;
        try {
            node = Json.MAPPER.valueToTree(args);
        } catch (IllegalArgumentException e) {
            throw new Blt4jException("cannot encode checkpoint args: " + e.getMessage(), e);
        }
        write(dir, node, weights, dtype);
    }

    /** Copies config.json unchanged and rewrites every tensor (and the metadata) of {@code srcDir} as {@code dtype}. */
    public static void convert(Path srcDir, Path dstDir, DType dtype) {
        rawArgs(srcDir); // validates the config before anything is written
        Path stage;
        try (SafeTensors src = weights(srcDir)) {
            for (String name : src.names())
                if (src.info(name).dtype() == DType.I8)
                    throw new Blt4jException(srcDir.resolve(WEIGHTS) + ": tensor '" + name + "' is I8 (an int8 checkpoint,"
                            + " docs/int8.md): it cannot be converted to a float type; convert the original");
            byte[] config;
            try {
                config = Files.readAllBytes(srcDir.resolve(CONFIG));
            } catch (IOException e) {
                throw new Blt4jException("cannot read " + srcDir.resolve(CONFIG) + ": " + e, e);
            }
            SafeTensorsWriter w = new SafeTensorsWriter(dtype).metadata(src.metadata());
            for (String name : src.names())
                w.add(name, TensorData.lazy((start, dst, off, n) -> src.readFloats(name, start, dst, off, n),
                        src.info(name).shape()));
            stage = stage(dstDir, config, w);
        } // the source is unmapped before the swap, so converting a folder onto itself works everywhere
        install(stage, dstDir, true);
    }

    // ---- internals ----

    private static void checkFolder(Path dir) {
        if (Files.isRegularFile(dir))
            throw new Blt4jException(dir + " is a file: pass the checkpoint folder containing " + CONFIG + " and " + WEIGHTS);
        if (!Files.isDirectory(dir) && !AtomicFiles.restoreMovedAside(dir))
            throw new Blt4jException("checkpoint folder " + dir + " does not exist");
    }

    private static Path configFile(Path dir) {
        checkFolder(dir);
        Path file = dir.resolve(CONFIG);
        ModelDirs.requireRegular(file);
        if (!Files.isRegularFile(file))
            throw new Blt4jException("no " + CONFIG + " in " + dir + ": pass a checkpoint folder containing "
                    + CONFIG + " and " + WEIGHTS + " (hub or Hugging Face layout) or " + ModelDirs.REFERENCE_PARAMS
                    + " and " + ModelDirs.REFERENCE_WEIGHTS + " (reference-trainer layout)");
        return file;
    }

    /** "a.b[2]" from Jackson's reference path. */
    private static String fieldPath(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) sb.append(sb.isEmpty() ? "" : ".").append(r.getFieldName());
            else if (r.getIndex() >= 0) sb.append('[').append(r.getIndex()).append(']');
        }
        return sb.toString();
    }

    /** Writes both files into a fresh hidden sibling folder of {@code dir}; returns it, or cleans up and throws. */
    private static Path stage(Path dir, byte[] config, SafeTensorsWriter weights) {
        Path target = dir.toAbsolutePath().normalize();
        if (target.getParent() == null) throw new Blt4jException("cannot write a checkpoint to " + target);
        AtomicFiles.removeStale(target); // what a killed earlier write left (a stage; a previous checkpoint moved aside)
        checkReplaceable(target);
        Path stage = AtomicFiles.sibling(target, "tmp");
        try {
            Files.createDirectory(stage);
            weights.write(stage.resolve(WEIGHTS));
            try (FileChannel ch = FileChannel.open(stage.resolve(CONFIG), StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(config);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            AtomicFiles.fsyncDir(stage);
            return stage;
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(stage);
            throw new Blt4jException("cannot write checkpoint " + target + ": " + e, e);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteQuietly(stage);
            throw e;
        }
    }

    /**
     * Renames the staged folder onto {@code dir}: with {@code replace}, a previous checkpoint is moved aside first and
     * deleted after; without, {@code dir} must still be absent (else refused, and left as it is).
     */
    private static void install(Path stage, Path dir, boolean replace) {
        Path target = dir.toAbsolutePath().normalize();
        Path old = null;
        try {
            if (!replace && Files.exists(target, LinkOption.NOFOLLOW_LINKS))   // another writer made it meanwhile
                throw new Blt4jException(target + " appeared while it was being written (another run, or a copy?): it is"
                        + " left as it is; pass a new folder");
            checkReplaceable(target);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                old = AtomicFiles.sibling(target, "old");
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            try {
                Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (old != null) Files.move(old, target, StandardCopyOption.ATOMIC_MOVE); // put the previous one back
                old = null;
                throw e;
            }
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(stage);
            throw new Blt4jException("cannot write checkpoint " + target + ": " + e, e);
        } catch (RuntimeException e) {
            AtomicFiles.deleteQuietly(stage);
            throw e;
        }
        AtomicFiles.fsyncDir(target.getParent());
        AtomicFiles.deleteQuietly(old);
    }

    /**
     * An existing target must look like a checkpoint (a folder holding only config.json and model.safetensors), so
     * that a mistaken path never deletes unrelated files.
     */
    private static void checkReplaceable(Path target) {
        if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) return;
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS))
            throw new Blt4jException("cannot write checkpoint " + target + ": it exists and is not a folder");
        Map<String, Boolean> entries = new LinkedHashMap<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(target)) {
            for (Path p : ds)
                entries.put(p.getFileName().toString(), Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS));
        } catch (IOException e) {
            throw new Blt4jException("cannot list " + target + ": " + e, e);
        }
        Set<String> foreign = entries.entrySet().stream()
                .filter(e -> !e.getValue() || !(e.getKey().equals(CONFIG) || e.getKey().equals(WEIGHTS)))
                .map(Map.Entry::getKey).collect(Collectors.toCollection(TreeSet::new));
        if (!foreign.isEmpty())
            throw new Blt4jException("cannot write checkpoint " + target + ": the folder exists and holds other entries "
                    + foreign + "; write to a new or empty folder, or remove them");
    }
}
