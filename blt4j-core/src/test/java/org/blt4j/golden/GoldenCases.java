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
 * blt.golden.dir, or the repository's own testdata/golden (found by walking up from the working directory); tests
 * dispatch on case.json's "kind".
 */
public final class GoldenCases {
    public record Case(Path dir, JsonNode json) {
        public String name() { return dir.getFileName().toString(); }
        public String kind() { return json.path("kind").asText(); }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private GoldenCases() {}

    /** The vendored cases, relative to the repository root. */
    static final Path VENDORED = Path.of("testdata", "golden");

    public static Path root() {
        return root(System.getenv("BLT_GOLDEN_DIR"), System.getProperty("blt.golden.dir"), Path.of(""));
    }

    /**
     * The cases folder: {@code env} ($BLT_GOLDEN_DIR) if set, else {@code prop} (-Dblt.golden.dir) if set, else
     * testdata/golden in the nearest folder at or above {@code start} that has one (a module runs its tests in its
     * own folder, one below the repository root); else the path relative to {@code start}, which the caller reports
     * as missing.
     */
    static Path root(String env, String prop, Path start) {
        if (env != null && !env.isBlank()) return Path.of(env);
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent())
            if (Files.isDirectory(dir.resolve(VENDORED))) return dir.resolve(VENDORED);
        return start.resolve(VENDORED);
    }

    /** All cases of the given kind, sorted by folder name; fails loudly when the root folder is missing. */
    public static List<Case> ofKind(String kind) {
        return ofKind(kind, root());
    }

    /** All cases of the given kind under {@code root}. */
    static List<Case> ofKind(String kind, Path root) {
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
