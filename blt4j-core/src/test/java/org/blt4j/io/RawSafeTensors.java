package org.blt4j.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.blt4j.golden.GoldenCases;

/** Builds safetensors files byte by byte (for malformed-input tests) and finds the golden ones. */
final class RawSafeTensors {
    private RawSafeTensors() {}

    /** 8-byte little-endian length of {@code header}, the header, then {@code dataBytes} bytes of data. */
    static byte[] bytes(String header, int dataBytes) {
        return bytes(header.length(), header.getBytes(StandardCharsets.UTF_8), new byte[dataBytes]);
    }

    static byte[] bytes(long declaredLength, byte[] header, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        return b.putLong(declaredLength).put(header).put(data).array();
    }

    static Path write(Path dir, String name, byte[] content) {
        try {
            return Files.write(dir.resolve(name), content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every .safetensors file under the golden root, sorted. */
    static List<Path> goldenFiles() {
        Path root = GoldenCases.root();
        if (!Files.isDirectory(root))
            throw new IllegalStateException("golden folder " + root.toAbsolutePath() + " not found: set BLT_GOLDEN_DIR");
        try (Stream<Path> s = Files.walk(root, 4)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Golden case folders holding a checkpoint (config.json + model.safetensors), sorted. */
    static List<Path> goldenCheckpoints() {
        return goldenFiles().stream().filter(p -> p.getFileName().toString().equals(Checkpoint.WEIGHTS))
                .map(Path::getParent).filter(d -> Files.isRegularFile(d.resolve(Checkpoint.CONFIG))).toList();
    }
}
