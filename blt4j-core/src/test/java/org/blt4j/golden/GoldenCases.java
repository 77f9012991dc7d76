package org.blt4j.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Discovers every golden case folder (one with a case.json) under $BLT_GOLDEN_DIR, or the system property
 * blt.golden.dir, or ../shared/golden; tests dispatch on case.json's "kind".
 */
public final class GoldenCases {
    public record Case(Path dir, JsonNode json) {
        public String name() { return dir.getFileName().toString(); }
        public String kind() { return json.path("kind").asText(); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenCases() {}

    public static Path root() {
        String env = System.getenv("BLT_GOLDEN_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("blt.golden.dir");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return Path.of("..", "shared", "golden");
    }

    /** All cases of the given kind, sorted by folder name; fails loudly when the root folder is missing. */
    public static List<Case> ofKind(String kind) {
        Path root = root();
        if (!Files.isDirectory(root))
            throw new IllegalStateException("golden folder " + root.toAbsolutePath() + " not found: set BLT_GOLDEN_DIR");
        try (Stream<Path> s = Files.walk(root, 4)) {
            return s.filter(p -> p.getFileName().toString().equals("case.json"))
                    .map(p -> new Case(p.getParent(), read(p)))
                    .filter(c -> c.kind().equals(kind))
                    .sorted((a, b) -> a.dir().toString().compareTo(b.dir().toString()))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonNode read(Path p) {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    public static int[][] ints2(JsonNode arr) {
        int[][] out = new int[arr.size()][];
        for (int i = 0; i < out.length; i++) out[i] = ints(arr.get(i));
        return out;
    }

    public static float[] floats(JsonNode arr) {
        float[] out = new float[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) arr.get(i).asDouble();
        return out;
    }
}
