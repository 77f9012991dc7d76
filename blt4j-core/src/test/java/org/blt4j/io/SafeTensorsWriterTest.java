package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsWriterTest {
    @TempDir
    Path tmp;

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void headerIsPaddedWithSpacesToEightBytes() throws IOException {
        for (int k = 1; k <= 9; k++) {
            Path f = tmp.resolve("p" + k + ".safetensors");
            new SafeTensorsWriter(DType.BF16).add("x".repeat(k), new float[k], k).write(f);
            byte[] b = Files.readAllBytes(f);
            long n = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, n % 8);
            assertEquals(8 + n + 2L * k, b.length);
            String header = new String(b, 8, (int) n, java.nio.charset.StandardCharsets.UTF_8);
            String json = header.stripTrailing();
            assertTrue(json.endsWith("}"), header);
            assertTrue(n - json.length() < 8, "at most 7 spaces of padding");
            assertTrue(header.substring(json.length()).chars().allMatch(c -> c == ' '), header);
        }
    }

    @Test
    void failedWriteLeavesThePreviousFileAndNoTemporary() throws IOException {
        Path f = tmp.resolve("m.safetensors");
        new SafeTensorsWriter(DType.F32).add("a", new float[] {1, 2, 3}, 3).write(f);
        byte[] before = Files.readAllBytes(f);

        // The second tensor's source fails after the first tensor was already written to the temporary file.
        RuntimeException boom = new IllegalStateException("disk on fire");
        SafeTensorsWriter w = new SafeTensorsWriter(DType.F32)
                .add("a", new float[200_000], 200_000)
                .add("b", TensorData.lazy((start, dst, off, n) -> { throw boom; }, 10));
        RuntimeException e = assertThrows(RuntimeException.class, () -> w.write(f));
        assertEquals(boom, e);

        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(List.of("m.safetensors"), listing(tmp));
        try (SafeTensors st = SafeTensors.open(f)) {
            assertArrayEquals(new float[] {1, 2, 3}, st.floats("a"));
        }
    }

    @Test
    void overwriteReplacesAtomically() throws IOException {
        Path f = tmp.resolve("m.safetensors");
        new SafeTensorsWriter(DType.F32).add("a", new float[] {1}, 1).write(f);
        try (SafeTensors old = SafeTensors.open(f)) {
            new SafeTensorsWriter(DType.F32).add("b", new float[] {2, 3}, 2).write(f);
            assertArrayEquals(new float[] {1}, old.floats("a")); // an open reader keeps the old mapping
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertArrayEquals(new float[] {2, 3}, st.floats("b"));
        }
        assertEquals(List.of("m.safetensors"), listing(tmp));
    }
}
