package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.RowTable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class SafeTensorsTest {
    @TempDir
    Path tmp;

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    private static float round(DType t, float v) {
        return switch (t) {
            case F32 -> v;
            case BF16 -> DType.bf16ToFloat(DType.floatToBf16(v));
            case F16 -> DType.f16ToFloat(DType.floatToF16(v));
            case I8 -> DType.floatToI8(v);
        };
    }

    /**
     * A header within the size cap but too large for the free heap (a 99 MB header of 1.7 M empty tensors ran out of a
     * 1 GB heap after 33 s) is refused before it is read, with its size and the heap it would need.
     */
    @Test
    void aHeaderTooLargeForTheHeapIsRefusedBeforeReading() {
        long tooLarge = Runtime.getRuntime().maxMemory() / SafeTensors.HEAP_PER_HEADER_BYTE + 1;
        Blt4jException e = assertThrows(Blt4jException.class, () -> SafeTensors.checkHeapFor(Path.of("m.safetensors"), tooLarge));
        assertTrue(e.getMessage().startsWith("m.safetensors: the header has ") && e.getMessage().contains("-Xmx"), e.getMessage());
        SafeTensors.checkHeapFor(Path.of("m.safetensors"), 900_000);   // a real model's header
        SafeTensors.checkHeapFor(Path.of("m.safetensors"), 2_000_000);
    }

    /**
     * A mapped file changed in place (another size or modification time, same inode) is named by checkUnchanged; one
     * replaced by a rename or removed is not (the mapping keeps the old inode).
     */
    @Test
    void checkUnchangedNamesAFileChangedInPlace() throws Exception {
        Path file = tmp.resolve("m.safetensors");
        SafeTensorsWriter writer = new SafeTensorsWriter(DType.F32).add("w", TensorData.of(random(12, 3), 4, 3), DType.F32);
        writer.write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            st.checkUnchanged();
            Files.write(file, new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);   // grown in place
            Blt4jException e = assertThrows(Blt4jException.class, st::checkUnchanged);
            assertTrue(e.getMessage().startsWith(file + " was changed in place while it was in use"), e.getMessage());
        }
        writer.write(file);
        try (SafeTensors st = SafeTensors.open(file)) {   // same size, rewritten: a later modification time
            Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 5000));
            assertThrows(Blt4jException.class, st::checkUnchanged);
        }
        writer.write(file);
        try (SafeTensors st = SafeTensors.open(file)) {   // replaced by a rename, then removed: the mapping is intact
            Path aside = tmp.resolve("new.safetensors");
            Files.write(aside, new byte[] {1, 2, 3});
            Files.move(aside, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            st.checkUnchanged();
            Files.delete(file);
            st.checkUnchanged();
            assertEquals(12, st.floats("w").length);
        }
    }

    /** One file, tensors of several types (an int8 checkpoint: I8 weights, F32 scales, BF16 embeddings). */
    @Test
    void mixedTypes() {
        float[] q = {-128.4f, -127f, -0.6f, 0.4f, 2.5f, 126.6f, 300f, Float.NaN}, scales = {0.5f, 0.25f}, emb = random(6, 3);
        Path file = tmp.resolve("mixed.safetensors");
        new SafeTensorsWriter(DType.BF16)
                .add("w", TensorData.of(q, 2, 4), DType.I8)
                .add("w.scales", TensorData.of(scales, 2, 1), DType.F32)
                .add("emb", emb, 3, 2)
                .write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(DType.I8, st.info("w").dtype());
            assertEquals(8, st.info("w").byteLength());
            assertEquals(DType.F32, st.info("w.scales").dtype());
            assertEquals(DType.BF16, st.info("emb").dtype());
            assertArrayEquals(new float[] {-128, -127, -1, 0, 3, 127, 127, 0}, st.floats("w"));   // rounded, clamped; NaN → 0
            assertArrayEquals(scales, st.floats("w.scales"));
            for (int i = 0; i < emb.length; i++) assertEquals(round(DType.BF16, emb[i]), st.floats("emb")[i]);
            st.checkFinite("w");   // integers are always finite
        }
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"F32", "BF16", "F16"})   // I8: mixedTypes
    void roundTrip(DType dtype) {
        float[] a = random(12 * 5, 1), big = random(1000, 2), scalar = {3.25f};
        Path file = tmp.resolve("m.safetensors");
        new SafeTensorsWriter(dtype)
                .metadata("format", "pt").metadata("note", "ünïcode")
                .add("w.b", a, 12, 5)
                .add("a.slice", TensorData.slice(big, 100, 7, 3))  // not in alphabetical order on purpose
                .add("s", scalar)
                .add("empty", new float[0], 0, 4)
                .write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            assertEquals(List.of("w.b", "a.slice", "s", "empty"), List.copyOf(st.names()));
            assertEquals(Map.of("format", "pt", "note", "ünïcode"), st.metadata());
            TensorInfo wb = st.info("w.b");
            assertEquals(dtype, wb.dtype());
            assertArrayEquals(new long[] {12, 5}, wb.shape());
            assertEquals(60, wb.numel());
            assertEquals(60L * dtype.byteSize(), wb.byteLength());
            assertEquals(0, wb.byteOffset() % 8, "data starts 8-byte aligned");

            float[] got = st.floats("w.b", 12, 5);
            for (int i = 0; i < a.length; i++) assertEquals(round(dtype, a[i]), got[i]);
            float[] sl = st.floats("a.slice");
            for (int i = 0; i < 21; i++) assertEquals(round(dtype, big[100 + i]), sl[i]);
            assertArrayEquals(new float[] {3.25f}, st.floats("s"));
            assertEquals(0, st.info("s").rank());
            assertEquals(0, st.floats("empty", 0, 4).length);

            // ranged read and read into an offset
            float[] part = new float[5];
            st.readFloats("w.b", 10, part, 1, 4);
            for (int i = 0; i < 4; i++) assertEquals(round(dtype, a[10 + i]), part[1 + i]);
            float[] dst = new float[65];
            st.readFloats("w.b", dst, 5);
            assertEquals(round(dtype, a[59]), dst[64]);

            // zero-copy segment: raw bytes of the stored dtype
            MemorySegment seg = st.segment("w.b");
            assertEquals(wb.byteLength(), seg.byteSize());
            assertTrue(seg.isReadOnly());
            assertEquals(round(dtype, a[7]), dtype.get(seg, 7L * dtype.byteSize()));

            // row view adds rows into the destination
            RowTable rows = st.rows("w.b");
            assertEquals(12, rows.rows());
            assertEquals(5, rows.dim());
            float[] acc = new float[7];
            acc[2] = 1f;
            rows.addRowTo(3, acc, 2);
            assertEquals(1f + round(dtype, a[15]), acc[2]);
            assertEquals(round(dtype, a[19]), acc[6]);
            Blt4jException e = assertThrows(Blt4jException.class, () -> rows.addRowTo(12, acc, 0));
            assertTrue(e.getMessage().contains("row 12") && e.getMessage().contains("w.b"), e.getMessage());
            assertThrows(Blt4jException.class, () -> rows.addRowTo(-1, acc, 0));
        }
    }

    @Test
    void helpfulErrors() {
        Path file = tmp.resolve("h.safetensors");
        new SafeTensorsWriter(DType.F32).add("layers.0.attention.wq.weight", new float[6], 2, 3).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Blt4jException e = assertThrows(Blt4jException.class, () -> st.floats("layers.0.attention.wq.weight", 3, 2));
            assertEquals("tensor 'layers.0.attention.wq.weight' in " + file + " has shape [2, 3], expected [3, 2]", e.getMessage());

            e = assertThrows(Blt4jException.class, () -> st.info("layers.0.attention.wk.weight"));
            assertTrue(e.getMessage().contains("missing tensor 'layers.0.attention.wk.weight' in " + file), e.getMessage());
            assertTrue(e.getMessage().contains("did you mean 'layers.0.attention.wq.weight'"), e.getMessage());
            e = assertThrows(Blt4jException.class, () -> st.floats("nothing.like.it"));
            assertFalse(e.getMessage().contains("did you mean"), e.getMessage());
            assertFalse(st.contains("nothing.like.it"));

            assertThrows(Blt4jException.class, () -> st.readFloats("layers.0.attention.wq.weight", 4, new float[3], 0, 3));
            assertThrows(Blt4jException.class, () -> st.readFloats("layers.0.attention.wq.weight", new float[6], 1));
            assertThrows(Blt4jException.class, () -> st.rows("nothing"));
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            RowTable rows = st.rows("layers.0.attention.wq.weight");
            st.close();
            st.close(); // idempotent
            Blt4jException e = assertThrows(Blt4jException.class, () -> st.floats("layers.0.attention.wq.weight"));
            assertTrue(e.getMessage().contains("closed"), e.getMessage());
            assertThrows(Blt4jException.class, () -> rows.addRowTo(0, new float[3], 0));
        }
    }

    /** A sparse file with a 4 GiB bf16 tensor of more than 2^31 elements: long offsets throughout, rows read in place. */
    @Test
    void tensorsBeyondFourGigabytes() throws Exception {
        long rows = 2_097_153, dim = 1024, bytes = rows * dim * 2;
        String json = "{\"table\":{\"dtype\":\"BF16\",\"shape\":[" + rows + "," + dim + "],\"data_offsets\":[0," + bytes + "]}}";
        json += " ".repeat((8 - json.length() % 8) % 8);
        Path f = tmp.resolve("big.safetensors");
        long lastRow = 8 + json.length() + (rows - 1) * dim * 2;
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + json.length() + bytes); // sparse: nothing is written in between
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length()).array());
            raf.write(json.getBytes(StandardCharsets.US_ASCII));
            raf.seek(lastRow + 5 * 2);
            raf.writeShort(Short.reverseBytes(DType.floatToBf16(2.5f)));
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertEquals(rows * dim, st.info("table").numel());
            Blt4jException e = assertThrows(Blt4jException.class, () -> st.floats("table"));
            assertTrue(e.getMessage().contains("too many for one Java array"), e.getMessage());
            float[] acc = new float[(int) dim];
            st.rows("table").addRowTo(rows - 1, acc, 0);
            assertEquals(2.5f, acc[5]);
            assertEquals(0f, acc[4]);
            float[] one = new float[1];
            st.readFloats("table", (rows - 1) * dim + 5, one, 0, 1);
            assertEquals(2.5f, one[0]);
            assertEquals(bytes, st.segment("table").byteSize());
        } finally {
            Files.delete(f);
        }
    }

    @Test
    void rowsNeedsTwoDimensions() {
        Path file = tmp.resolve("r.safetensors");
        new SafeTensorsWriter(DType.BF16).add("v", new float[4], 4).write(file);
        try (SafeTensors st = SafeTensors.open(file)) {
            Blt4jException e = assertThrows(Blt4jException.class, () -> st.rows("v"));
            assertTrue(e.getMessage().contains("'v'") && e.getMessage().contains("[4]"), e.getMessage());
        }
    }

    @Test
    void writerRejectsBadInput() {
        SafeTensorsWriter w = new SafeTensorsWriter(DType.F32).add("a", new float[2], 2);
        assertThrows(Blt4jException.class, () -> w.add("a", new float[2], 2));
        assertThrows(Blt4jException.class, () -> w.add("__metadata__", new float[2], 2));
        assertThrows(Blt4jException.class, () -> w.add("b", new float[3], 2));
        assertThrows(Blt4jException.class, () -> w.add("c", TensorData.slice(new float[3], 2, 2)));
        assertThrows(Blt4jException.class, () -> w.add("d", new float[0], -1));
        assertThrows(Blt4jException.class, () -> w.write(tmp.resolve("no/such/folder/x.safetensors")));
    }
}
