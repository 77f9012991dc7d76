package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.blt4j.Blt4jException;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
    @TempDir
    Path tmp;

    private Path dirWithConfig(String json) throws IOException {
        Path d = Files.createDirectories(tmp.resolve("ck"));
        Files.writeString(d.resolve(Checkpoint.CONFIG), json);
        return d;
    }

    private static Blt4jException error(Runnable r, String... fragments) {
        Blt4jException e = assertThrows(Blt4jException.class, r::run);
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "contains '" + f + "': " + e.getMessage());
        return e;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    // ---- reading configs ----

    @Test
    void readsGoldenConfigs() {
        for (Path d : RawSafeTensors.goldenCheckpoints()) {
            JsonNode raw = Checkpoint.rawArgs(d);
            if (raw.has("dim_global")) {
                BltArgs a = Checkpoint.readArgs(d, BltArgs.class);
                assertEquals(raw.get("dim_global").asInt(), a.dimGlobal());
            } else {
                LmArgs a = Checkpoint.readArgs(d, LmArgs.class);
                assertEquals(raw.get("dim").asInt(), a.dim());
            }
        }
    }

    @Test
    void configErrorsNameTheFileAndField() throws IOException {
        Path d = dirWithConfig("{\"dim\": 64}");
        Path cfg = d.resolve(Checkpoint.CONFIG);
        error(() -> Checkpoint.readArgs(d, LmArgs.class), cfg.toString(), "\"args\"");

        Files.writeString(cfg, "{\"args\": {\"dim\": 64,");
        error(() -> Checkpoint.rawArgs(d), cfg.toString(), "not valid JSON");

        Files.writeString(cfg, "{\"args\": [1]}");
        error(() -> Checkpoint.rawArgs(d), cfg.toString(), "\"args\" must be a JSON object");

        Files.writeString(cfg, "{\"args\": {\"dim\": 64, \"n_layers\": 2}}");
        Blt4jException e = error(() -> Checkpoint.readArgs(d, LmArgs.class), cfg.toString(), "'n_heads'", "missing");
        assertEquals(cfg + ": required field 'n_heads' is missing from args", e.getMessage());

        Files.writeString(cfg, "{\"args\": {\"dim\": \"wide\", \"n_layers\": 2, \"n_heads\": 4}}");
        error(() -> Checkpoint.readArgs(d, LmArgs.class), cfg.toString(), "'dim'", "LmArgs");

        Files.writeString(cfg, "{\"args\": {\"dim\": 63, \"n_layers\": 2, \"n_heads\": 4}}");
        error(() -> Checkpoint.readArgs(d, LmArgs.class), cfg.toString(), "not divisible");
    }

    @Test
    void bltConfigWithoutDimGlobal() throws IOException {
        Path golden = RawSafeTensors.goldenCheckpoints().stream()
                .filter(p -> Checkpoint.rawArgs(p).has("dim_global")).findFirst().orElseThrow();
        ObjectNode args = (ObjectNode) Checkpoint.rawArgs(golden);
        args.remove("dim_global");
        Path d = dirWithConfig("{\"args\": " + args + "}");
        error(() -> Checkpoint.readArgs(d, BltArgs.class), d.resolve(Checkpoint.CONFIG).toString(), "'dim_global'", "missing");
    }

    @Test
    void missingFilesAndFolders() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        error(() -> Checkpoint.rawArgs(empty), "no config.json in " + empty);
        error(() -> Checkpoint.weights(empty), "no model.safetensors in " + empty, "checkpoint folder");
        error(() -> Checkpoint.weights(tmp.resolve("nope")), "does not exist");
        Path file = Files.writeString(tmp.resolve("model.safetensors"), "x");
        error(() -> Checkpoint.weights(file), "is a file", "checkpoint folder");
    }

    // ---- writing ----

    private static Map<String, TensorData> weights(float scale) {
        Map<String, TensorData> w = new LinkedHashMap<>();
        float[] a = new float[12];
        for (int i = 0; i < a.length; i++) a[i] = i * scale;
        w.put("tok_embeddings.weight", TensorData.of(a, 4, 3));
        w.put("norm.weight", TensorData.of(new float[] {scale, 2 * scale, 3 * scale}, 3));
        return w;
    }

    @Test
    void writeReadRoundTripAndReplace() throws IOException {
        Path d = tmp.resolve("out");
        Checkpoint.write(d, Map.of("dim", 3, "n_layers", 0, "n_heads", 1, "head_dim", 2), weights(1f), DType.F32);
        assertEquals(List.of("config.json", "model.safetensors"), listing(d));
        assertEquals(3, Checkpoint.readArgs(d, LmArgs.class).dim());
        try (SafeTensors st = Checkpoint.weights(d)) {
            assertEquals(List.of("tok_embeddings.weight", "norm.weight"), List.copyOf(st.names()));
            assertArrayEquals(new float[] {1, 2, 3}, st.floats("norm.weight", 3));
        }

        // Replacing an existing checkpoint leaves exactly the new one and no hidden siblings.
        Checkpoint.write(d, Map.of("dim", 5, "n_layers", 0, "n_heads", 1, "head_dim", 2), weights(2f), DType.BF16);
        assertEquals(5, Checkpoint.readArgs(d, LmArgs.class).dim());
        try (SafeTensors st = Checkpoint.weights(d)) {
            assertEquals(DType.BF16, st.info("norm.weight").dtype());
            assertArrayEquals(new float[] {2, 4, 6}, st.floats("norm.weight"));
        }
        assertEquals(List.of("out"), listing(tmp));
    }

    @Test
    void failedWriteKeepsThePreviousCheckpoint() throws IOException {
        Path d = tmp.resolve("out");
        Checkpoint.write(d, Map.of("dim", 3, "n_layers", 0, "n_heads", 1, "head_dim", 2), weights(1f), DType.F32);
        byte[] cfg = Files.readAllBytes(d.resolve(Checkpoint.CONFIG));
        byte[] st = Files.readAllBytes(d.resolve(Checkpoint.WEIGHTS));

        RuntimeException boom = new IllegalStateException("injected failure");
        Map<String, TensorData> bad = weights(7f);
        bad.put("later", TensorData.lazy((start, dst, off, n) -> { throw boom; }, 5));
        RuntimeException e = assertThrows(RuntimeException.class, () -> Checkpoint.write(d,
                Map.of("dim", 9, "n_layers", 0, "n_heads", 1, "head_dim", 2), bad, DType.F32));
        assertSame(boom, e);

        assertArrayEquals(cfg, Files.readAllBytes(d.resolve(Checkpoint.CONFIG)));
        assertArrayEquals(st, Files.readAllBytes(d.resolve(Checkpoint.WEIGHTS)));
        assertEquals(List.of("out"), listing(tmp), "no temporary folder left behind");
        assertEquals(List.of("config.json", "model.safetensors"), listing(d));
    }

    @Test
    void refusesToReplaceAFolderWithOtherFiles() throws IOException {
        Path d = Files.createDirectories(tmp.resolve("home"));
        Files.writeString(d.resolve("notes.txt"), "precious");
        error(() -> Checkpoint.write(d, Map.of("dim", 3), weights(1f), DType.F32), d.toString(), "notes.txt");
        assertEquals("precious", Files.readString(d.resolve("notes.txt")));
        assertEquals(List.of("home"), listing(tmp));
    }

    @Test
    void convertGoldenToBf16StaysWithinRounding() throws IOException {
        for (Path src : RawSafeTensors.goldenCheckpoints()) {
            Path dst = tmp.resolve("bf16-" + src.getFileName());
            Checkpoint.convert(src, dst, DType.BF16);
            assertArrayEquals(Files.readAllBytes(src.resolve(Checkpoint.CONFIG)), Files.readAllBytes(dst.resolve(Checkpoint.CONFIG)));
            try (SafeTensors a = Checkpoint.weights(src); SafeTensors b = Checkpoint.weights(dst)) {
                assertEquals(List.copyOf(a.names()), List.copyOf(b.names()));
                for (String name : a.names()) {
                    assertEquals(DType.BF16, b.info(name).dtype());
                    assertArrayEquals(a.info(name).shape(), b.info(name).shape());
                    assertEquals(a.info(name).byteLength() / 2, b.info(name).byteLength());
                    float[] x = a.floats(name), y = b.floats(name);
                    for (int i = 0; i < x.length; i++)
                        assertTrue(Math.abs(y[i] - x[i]) <= 0x1p-8f * Math.abs(x[i]) + Float.MIN_NORMAL,
                                name + "[" + i + "]: " + x[i] + " vs " + y[i]);
                }
            }
            // and back to F32: bf16 values are exact in fp32
            Path back = tmp.resolve("f32-" + src.getFileName());
            Checkpoint.convert(dst, back, DType.F32);
            try (SafeTensors b = Checkpoint.weights(dst); SafeTensors c = Checkpoint.weights(back)) {
                for (String name : b.names()) assertArrayEquals(b.floats(name), c.floats(name), name);
            }
            // converting a folder onto itself works too
            Checkpoint.convert(back, back, DType.BF16);
            try (SafeTensors b = Checkpoint.weights(dst); SafeTensors c = Checkpoint.weights(back)) {
                for (String name : b.names()) assertArrayEquals(b.floats(name), c.floats(name), name);
            }
        }
        assertFalse(listing(tmp).stream().anyMatch(n -> n.startsWith(".")), "no hidden leftovers: " + listing(tmp));
    }
}
