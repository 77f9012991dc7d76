package org.blt4j.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.blt4j.Blt4jException;

/**
 * Writes fp32 tensors to a safetensors file, stored as the file's {@link DType} unless a tensor names its own (e.g. I8
 * weights with F32 scales and BF16 embeddings in one int8 checkpoint). Tensors are laid out in
 * the order they were added; the header is padded with spaces to a multiple of 8 bytes, as the reference does.
 * {@link #write} is atomic: the file is written to a hidden sibling, fsynced and renamed over the target, so the
 * target is either the old file or the complete new one; on failure the sibling is deleted.
 */
public final class SafeTensorsWriter {
    /** Elements converted and written per step. */
    private static final int CHUNK = 1 << 16;

    private final DType dtype;
    private final Map<String, TensorData> tensors = new LinkedHashMap<>();
    private final Map<String, DType> dtypes = new LinkedHashMap<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    public SafeTensorsWriter(DType dtype) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
    }

    public DType dtype() {
        return dtype;
    }

    /** Adds a __metadata__ entry. */
    public SafeTensorsWriter metadata(String key, String value) {
        metadata.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
    }

    public SafeTensorsWriter metadata(Map<String, String> entries) {
        entries.forEach(this::metadata);
        return this;
    }

    public SafeTensorsWriter add(String name, TensorData tensor) {
        return add(name, tensor, dtype);
    }

    /** Adds a tensor stored as {@code type} (its values are rounded to it when written). */
    public SafeTensorsWriter add(String name, TensorData tensor, DType type) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(tensor, "tensor");
        if (name.equals(SafeTensorsHeader.METADATA_KEY))
            throw new Blt4jException("'" + SafeTensorsHeader.METADATA_KEY + "' is reserved and cannot name a tensor");
        if (tensors.putIfAbsent(name, tensor) != null)
            throw new Blt4jException("tensor '" + name + "' was added twice");
        dtypes.put(name, type);
        return this;
    }

    /** Adds a whole array; its length must be the shape's element count. */
    public SafeTensorsWriter add(String name, float[] data, long... shape) {
        return add(name, TensorData.of(data, shape));
    }

    /** Writes the file atomically (see the class comment). */
    public void write(Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null || !Files.isDirectory(dir))
            throw new Blt4jException("cannot write " + target + ": folder " + dir + " does not exist");
        if (Files.isDirectory(target))
            throw new Blt4jException("cannot write " + target + ": it is a folder");
        byte[] header = header();
        Path[] tmp = new Path[1];
        try {
            try (FileChannel ch = AtomicFiles.createSiblingFile(target, tmp)) {
                ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).flip();
                writeFully(ch, prefix);
                writeFully(ch, ByteBuffer.wrap(header));
                writeData(ch);
                ch.force(true);
            }
            Files.move(tmp[0], target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp[0] = null;
            AtomicFiles.fsyncDir(dir);
        } catch (IOException e) {
            throw new Blt4jException("cannot write " + target + ": " + e, e);
        } finally {
            if (tmp[0] != null) AtomicFiles.deleteQuietly(tmp[0]);
        }
    }

    /** The JSON header, padded with spaces so that the data starts 8-byte aligned. */
    byte[] header() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject(SafeTensorsHeader.METADATA_KEY);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            DType type = dtypes.get(e.getKey());
            long bytes;
            try {
                bytes = Math.multiplyExact(e.getValue().numel(), (long) type.byteSize());
            } catch (ArithmeticException ex) {
                throw new Blt4jException("tensor '" + e.getKey() + "' is too large to write");
            }
            ObjectNode t = root.putObject(e.getKey());
            t.put("dtype", type.safetensorsName());
            ArrayNode shape = t.putArray("shape");
            for (long d : e.getValue().shape()) shape.add(d);
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(root);
        } catch (JsonProcessingException ex) {
            throw new Blt4jException("cannot encode safetensors header: " + Json.describe(ex), ex);
        }
        int padded = (json.length + 7) & ~7;
        byte[] out = Arrays.copyOf(json, padded);
        Arrays.fill(out, json.length, padded, (byte) ' ');
        return out;
    }

    private void writeData(FileChannel ch) throws IOException {
        float[] buf = new float[CHUNK];
        ByteBuffer bytes = ByteBuffer.allocate(CHUNK * 4);
        MemorySegment seg = MemorySegment.ofBuffer(bytes);
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            TensorData t = e.getValue();
            DType type = dtypes.get(e.getKey());
            long numel = t.numel();
            for (long start = 0; start < numel; start += CHUNK) {
                int n = (int) Math.min(CHUNK, numel - start);
                t.source().read(start, buf, 0, n);
                type.encode(buf, 0, seg, 0, n);
                writeFully(ch, bytes.clear().limit(n * type.byteSize()));
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }
}
