package org.blt4j.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.RowTable;

/**
 * A read-only, memory-mapped safetensors file. The whole file is mapped once (no 2 GB limit; all offsets are longs);
 * {@link #segment} and {@link #rows} are zero-copy views, {@link #floats} copies to the heap converting to fp32.
 * The header is fully validated by {@link #open}, so reads never fail on a file that opened. Thread-safe for
 * concurrent reads; {@link #close} unmaps the file, after which views obtained from it must no longer be used.
 */
public final class SafeTensors implements AutoCloseable {
    /** Same cap as the reference implementation: a larger header is taken as corruption, not allocated. */
    static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest float[] the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    private static final ValueLayout.OfLong U64_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final MemorySegment file;
    private final SafeTensorsHeader header;
    /** the mapped file as it was when opened: inode (null where the platform has none) and modification time */
    private final Object fileKey;
    private final java.nio.file.attribute.FileTime modified;
    private volatile boolean closed;

    private SafeTensors(Path path, Arena arena, MemorySegment file, SafeTensorsHeader header, BasicFileAttributes attrs) {
        this.path = path;
        this.arena = arena;
        this.file = file;
        this.header = header;
        this.fileKey = attrs.fileKey();
        this.modified = attrs.lastModifiedTime();
    }

    /** Maps and validates {@code path}; throws Blt4jException naming the file and the bad field on any problem. */
    public static SafeTensors open(Path path) {
        if (Files.isDirectory(path))
            throw new Blt4jException(path + " is a folder, not a safetensors file");
        if (!Files.exists(path)) throw new Blt4jException("safetensors file " + path + " does not exist");
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            BasicFileAttributes attrs = Files.readAttributes(path, BasicFileAttributes.class);
            long size = ch.size();
            if (size < 8)
                throw new Blt4jException(path + ": file has " + size + " bytes, too short for a safetensors header (8-byte length first)");
            Arena arena = Arena.ofShared();
            try {
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                long n = seg.get(U64_LE, 0);
                if (n < 0 || n > size - 8)
                    throw new Blt4jException(path + ": header length " + Long.toUnsignedString(n)
                            + " (first 8 bytes) is larger than the file (" + size + " bytes): not a safetensors file, or truncated");
                if (n > MAX_HEADER_BYTES)
                    throw new Blt4jException(path + ": header length " + n + " exceeds the limit of " + MAX_HEADER_BYTES
                            + " bytes: not a safetensors file, or corrupt");
                checkHeapFor(path, n);
                byte[] headerBytes = new byte[(int) n];
                MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 8, headerBytes, 0, (int) n);
                SafeTensorsHeader header = SafeTensorsHeader.parse(path.toString(), headerBytes, 8 + n, size - 8 - n);
                return new SafeTensors(path, arena, seg, header, attrs);
            } catch (Throwable t) {
                arena.close();
                throw t;
            }
        } catch (IOException e) {
            throw new Blt4jException("cannot read safetensors file " + path + ": " + e, e);
        }
    }

    /**
     * Heap to parse a header, per header byte: its JSON tree and records peak at about 19× its size (measured: 13.6 MB
     * of 200,000 tensor entries, 261 MB), so a header near the cap ran out of a 1 GB heap after 33 s.
     */
    static final long HEAP_PER_HEADER_BYTE = 20;

    /** Refuses a header that would not fit the free heap (real models' headers are well under 1 MB). */
    static void checkHeapFor(Path path, long headerBytes) {
        if (headerBytes < (1 << 20)) return;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory()), need = HEAP_PER_HEADER_BYTE * headerBytes;
        if (need > free)
            throw new Blt4jException(String.format("%s: the header has %.1f MB (a model's is well under 1 MB) and would need"
                    + " about %.0f MB of heap to read, more than the %.0f MB free: the file is probably corrupt; if not, give"
                    + " the JVM more heap (-Xmx in BLT4J_JAVA_OPTS)", path, headerBytes / 1e6, need / 1e6, free / 1e6));
    }

    /**
     * Throws when the mapped file was changed in place since it was opened (same inode, another size or modification
     * time): reads past a truncated end fault (an {@code InternalError}, or in vectorized kernels a SIGBUS that ends
     * the JVM), and rewritten bytes mix two models. A file replaced by a rename leaves the mapping intact (the old
     * inode lives while mapped), so it passes; a new model is then loaded by restarting. A stat, no read.
     */
    public void checkUnchanged() {
        if (closed) return;
        BasicFileAttributes now;
        try {
            now = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (IOException e) {
            return;   // removed or renamed away: the mapping keeps the old file
        }
        if (fileKey != null && !fileKey.equals(now.fileKey())) return;   // replaced by another file: ours is intact
        if (now.size() != file.byteSize() || !now.lastModifiedTime().equals(modified))
            throw new Blt4jException(path + " was changed in place while it was in use (" + file.byteSize() + " bytes at "
                    + modified + ", now " + now.size() + " at " + now.lastModifiedTime() + "): reload the model (restart);"
                    + " to replace a model while it runs, write the new folder aside and rename it into place");
    }

    public Path path() {
        return path;
    }

    /** Tensor names in header order. */
    public Set<String> names() {
        return Collections.unmodifiableSet(header.tensors().keySet());
    }

    public boolean contains(String name) {
        return header.tensors().containsKey(name);
    }

    /** Where tensor {@code name} lives; Blt4jException (with close names) when there is none. */
    public TensorInfo info(String name) {
        TensorInfo t = header.tensors().get(name);
        if (t == null) throw missing(name);
        return t;
    }

    /** The header's __metadata__ (empty when absent), in file order. */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** The tensor's raw little-endian bytes, a zero-copy read-only slice of the mapping. */
    public MemorySegment segment(String name) {
        TensorInfo t = info(name);
        ensureOpen();
        return file.asSlice(t.byteOffset(), t.byteLength());
    }

    /** The whole tensor converted to fp32 on the heap. */
    public float[] floats(String name) {
        TensorInfo t = info(name);
        if (t.numel() > MAX_ARRAY)
            throw new Blt4jException("tensor '" + name + "' in " + path + " has " + t.numel() + " elements, too many for"
                    + " one Java array; use rows() or segment() to read it in place");
        float[] out = new float[(int) t.numel()];
        readFloats(name, 0, out, 0, out.length);
        return out;
    }

    /** As {@link #floats(String)}, after checking the shape is exactly {@code expectedShape}. */
    public float[] floats(String name, long... expectedShape) {
        checkShape(name, expectedShape);
        return floats(name);
    }

    /** Throws unless tensor {@code name} has exactly this shape. */
    public TensorInfo checkShape(String name, long... expectedShape) {
        TensorInfo t = info(name);
        if (!Arrays.equals(t.shape(), expectedShape))
            throw new Blt4jException("tensor '" + name + "' in " + path + " has shape " + t.shapeString()
                    + ", expected " + Arrays.toString(expectedShape));
        return t;
    }

    /** dst[dstOff .. dstOff+numel) = the whole tensor as fp32. */
    public void readFloats(String name, float[] dst, int dstOff) {
        TensorInfo t = info(name);
        if (t.numel() > MAX_ARRAY || dstOff < 0 || dstOff > dst.length - t.numel())
            throw new Blt4jException("tensor '" + name + "' in " + path + " has " + t.numel() + " elements, which do not fit"
                    + " in an array of length " + dst.length + " from offset " + dstOff);
        readFloats(name, 0, dst, dstOff, (int) t.numel());
    }

    /** dst[dstOff .. dstOff+count) = elements [start, start+count) of the tensor (flattened, row-major) as fp32. */
    public void readFloats(String name, long start, float[] dst, int dstOff, int count) {
        TensorInfo t = info(name);
        if (start < 0 || count < 0 || start > t.numel() - count)
            throw new Blt4jException("tensor '" + name + "' in " + path + ": elements [" + start + ", " + start + "+" + count
                    + ") are out of range (it has " + t.numel() + ")");
        Objects.checkFromIndexSize(dstOff, count, dst.length);
        ensureOpen();
        try {
            t.dtype().decode(file, t.byteOffset() + start * t.dtype().byteSize(), dst, dstOff, count);
        } catch (IllegalStateException e) {
            throw closedError(e);
        }
    }

    /**
     * Throws, naming the tensor and the element, when tensor {@code name} holds a NaN or an infinity. The bytes are
     * scanned in place (eight at a time), not copied: for a mapped checkpoint this reads the file once.
     */
    public void checkFinite(String name) {
        TensorInfo t = info(name);
        ensureOpen();
        long i;
        try {
            i = FiniteScan.firstNonFinite(file.asSlice(t.byteOffset(), t.byteLength()), t.dtype(), t.numel());
        } catch (IllegalStateException e) {
            throw closedError(e);
        }
        if (i >= 0)
            throw new Blt4jException("tensor '" + name + "' in " + path + " holds " + t.dtype().get(file, t.byteOffset()
                    + i * t.dtype().byteSize()) + " at element " + i + " of " + t.numel()
                    + ": the weights are corrupt (or were saved by a run that diverged)");
    }

    /** A zero-copy row view of a 2-D tensor [rows, dim]; rows are converted to fp32 as they are read. */
    public RowTable rows(String name) {
        TensorInfo t = info(name);
        if (t.rank() != 2)
            throw new Blt4jException("tensor '" + name + "' in " + path + " has shape " + t.shapeString()
                    + ", expected a 2-D table [rows, dim]");
        if (t.dim(1) > Integer.MAX_VALUE)
            throw new Blt4jException("tensor '" + name + "' in " + path + ": rows of " + t.dim(1) + " elements are too long");
        return new MappedRowTable(segment(name), t.dtype(), t.dim(0), (int) t.dim(1),
                "tensor '" + name + "' in " + path);
    }

    /** Unmaps the file. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
        }
        arena.close();
    }

    @Override
    public String toString() {
        return "SafeTensors[" + path + ", " + header.tensors().size() + " tensors]";
    }

    private void ensureOpen() {
        if (closed) throw closedError(null);
    }

    private Blt4jException closedError(Throwable cause) {
        return new Blt4jException("safetensors file " + path + " was closed", cause);
    }

    private Blt4jException missing(String name) {
        List<String> close = header.tensors().keySet().stream()
                .filter(n -> editDistance(n, name) <= Math.max(2, name.length() / 4))
                .sorted(Comparator.comparingInt(n -> editDistance(n, name)))
                .limit(3).toList();
        String hint = close.isEmpty() ? "" : " (did you mean " + close.stream().map(n -> "'" + n + "'")
                .collect(Collectors.joining(", ")) + "?)";
        return new Blt4jException("missing tensor '" + name + "' in " + path + hint + "; it holds "
                + header.tensors().size() + " tensors");
    }

    /** Levenshtein distance, for "did you mean" hints. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] tmp = prev;
            prev = cur;
            cur = tmp;
        }
        return prev[b.length()];
    }
}
