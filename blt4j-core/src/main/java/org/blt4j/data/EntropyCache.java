package org.blt4j.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.blt4j.model.ChunkedEntropies;
import java.util.function.Predicate;
import org.blt4j.io.Sha256;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.ChunkedEntropies.Progress;

/**
 * The entropies of a training stream, computed once ({@link ChunkedEntropies}) and kept on disk.
 *
 * <p>Files: {@code <data>.entropies-<key>.f32} (N raw little-endian fp32, nats) and {@code <same>.json} (a sidecar:
 * key, token count, what produced it), both written atomically (temporary sibling, fsync, rename) next to the data
 * file; where that folder is read-only, in the cache folder instead (default {@code $XDG_CACHE_HOME/blt4j} or
 * {@code ~/.cache/blt4j}), and the log says so. The key is a SHA-256 of everything the values depend on: the entropy
 * model's config and every parameter value, the token stream itself, and the chunking (chunk length, warmup, position
 * period); not the patching threshold, so any threshold reuses the file. A file whose size or sidecar does not match
 * is ignored and rewritten.
 */
public final class EntropyCache {
    private static final String FORMAT = "blt4j-entropies-v2";
    private static final ObjectMapper JSON = org.blt4j.io.Json.MAPPER;

    private EntropyCache() {}

    /**
     * @param file     where the entropies are stored (null when no folder could take them)
     * @param computed false when they were loaded from the cache
     */
    public record Result(float[] entropies, Path file, boolean computed) {}

    /** $XDG_CACHE_HOME/blt4j, else ~/.cache/blt4j. */
    public static Path defaultCacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("blt4j");
    }

    /**
     * The entropies [N] of ids [N], the training stream made from {@code dataFile}: loaded from the cache when a
     * matching file exists next to the data or in {@code cacheDir} (null = {@link #defaultCacheDir()}), else computed
     * and stored. {@code log} receives one-line notes (where the file went, why a file was ignored).
     */
    public static Result entropies(EntropyModel model, int[] ids, Path dataFile, Path cacheDir, Chunking chunking,
                                   Progress progress, Consumer<String> log) {
        return entropies(model, ids, dataFile, cacheDir, chunking, progress, log, EntropyCache::writable);
    }

    /** Same, with the test of whether a folder is writable given (tests run as root, who may write anywhere). */
    static Result entropies(EntropyModel model, int[] ids, Path dataFile, Path cacheDir, Chunking chunking,
                            Progress progress, Consumer<String> log, Predicate<Path> writable) {
        Path dir = cacheDir != null ? cacheDir : defaultCacheDir();
        String key = key(model, ids, chunking);
        String name = dataFile.getFileName() + ".entropies-" + key + ".f32";
        Path besideData = dataFile.toAbsolutePath().resolveSibling(name), inCache = dir.resolve(name);
        for (Path candidate : new Path[] {besideData, inCache}) {
            float[] h = load(candidate, key, ids.length, log);
            if (h != null) return new Result(h, candidate, false);
        }
        float[] h = ChunkedEntropies.compute(model, ids, chunking, progress);
        Path parent = besideData.getParent();
        if (parent != null && writable.test(parent)) {
            if (store(besideData, h, key, dataFile, chunking, log)) return new Result(h, besideData, true);
            log.accept("caching entropies in " + dir + " instead");
        } else {
            log.accept("data folder " + parent + " is read-only; caching entropies in " + dir);
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            log.accept("cannot create cache folder " + dir + " (" + e.getMessage() + "); entropies are not cached");
            return new Result(h, null, true);
        }
        return new Result(h, store(inCache, h, key, dataFile, chunking, log) ? inCache : null, true);
    }

    /** Hex prefix (16 digits) of the SHA-256 of the model config and weights, the stream and the chunking. */
    static String key(EntropyModel model, int[] ids, Chunking chunking) {
        float[] w = model.params().data();
        return new Sha256().text(FORMAT + "\n" + model.args() + "\nchunk=" + chunking.chunkTokens() + " warmup=" + chunking.warmup()
                + " period=" + chunking.positionPeriod() + "\n").longs(w.length, ids.length).floats(w).ints(ids).hex(8);
    }

    private static float[] load(Path f32, String key, int n, Consumer<String> log) {
        Path json = sidecar(f32);
        if (!Files.isRegularFile(f32)) return null;
        try {
            if (Files.size(f32) != 4L * n) {
                log.accept("ignoring " + f32 + ": " + Files.size(f32) + " bytes, expected " + 4L * n);
                return null;
            }
            JsonNode meta = Files.isRegularFile(json) ? JSON.readTree(json.toFile()) : null;
            if (meta == null || !key.equals(meta.path("key").asText()) || meta.path("tokens").asLong(-1) != n) {
                log.accept("ignoring " + f32 + ": its sidecar " + json.getFileName() + " is missing or does not match");
                return null;
            }
            float[] h = new float[n];
            try (FileChannel ch = FileChannel.open(f32, StandardOpenOption.READ)) {
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; ) {
                    buf.clear().limit((int) Math.min(buf.capacity(), 4L * (n - i)));
                    while (buf.hasRemaining()) if (ch.read(buf) < 0) throw new IOException("file ended early");
                    buf.flip();
                    while (buf.hasRemaining()) h[i++] = buf.getFloat();
                }
            }
            return h;
        } catch (IOException e) {
            log.accept("ignoring " + f32 + ": " + e.getMessage());
            return null;
        }
    }

    /** Writes the f32 file and then its sidecar, each atomically; false (and a log line) on failure. */
    private static boolean store(Path f32, float[] h, String key, Path dataFile, Chunking chunking, Consumer<String> log) {
        try {
            writeAtomically(f32, ch -> {
                ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < h.length; ) {
                    buf.clear();
                    for (; i < h.length && buf.remaining() >= 4; i++) buf.putFloat(h[i]);
                    buf.flip();
                    while (buf.hasRemaining()) ch.write(buf);
                }
            });
            ObjectNode meta = JSON.createObjectNode()
                    .put("format", FORMAT).put("key", key).put("tokens", h.length)
                    .put("dtype", "F32").put("byte_order", "little").put("unit", "nats")
                    .put("data", dataFile.getFileName().toString())
                    .put("chunk_tokens", chunking.chunkTokens()).put("warmup", chunking.warmup())
                    .put("position_period", chunking.positionPeriod()).put("created", Instant.now().toString());
            byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(meta);
            writeAtomically(sidecar(f32), ch -> ch.write(ByteBuffer.wrap(bytes)));
            return true;
        } catch (IOException | RuntimeException e) {
            log.accept("cannot write " + f32 + " (" + e + ")");
            return false;
        }
    }

    private interface Writer {
        void write(FileChannel ch) throws IOException;
    }

    /**
     * Written aside (".NAME.tmp-PID-RANDOM") and renamed in; a dead writer's leftovers are removed first (they were
     * named without the pid and left for good after a kill -9: 4 bytes per corpus byte each).
     */
    private static void writeAtomically(Path target, Writer body) throws IOException {
        org.blt4j.io.AtomicFiles.removeStale(target);
        Path tmp = org.blt4j.io.AtomicFiles.sibling(target, "tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                body.write(ch);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static Path sidecar(Path f32) {
        String n = f32.getFileName().toString();
        return f32.resolveSibling(n.substring(0, n.length() - ".f32".length()) + ".json");
    }

    /**
     * A folder we may write into: writable for this process AND with its owner write bit set (root may write into a
     * folder marked read-only, such as a shared data folder mounted without write bits; we do not).
     */
    static boolean writable(Path dir) {
        if (!Files.isWritable(dir)) return false;
        try {
            return Files.getPosixFilePermissions(dir).contains(java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
        } catch (UnsupportedOperationException | java.io.IOException e) {
            return true;
        }
    }
}
