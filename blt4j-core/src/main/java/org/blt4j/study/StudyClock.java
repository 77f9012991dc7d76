package org.blt4j.study;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blt4j.io.Json;

/**
 * Seconds each phase of a study took, summed over every invocation (a resumed study adds to them), kept in
 * OUT/times.json and rewritten atomically after each phase.
 */
final class StudyClock {
    private final Path file;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    StudyClock(Path file) {
        this.file = file;
        if (Files.isRegularFile(file))
            StudyFiles.read(file, com.fasterxml.jackson.databind.JsonNode.class).properties().forEach(e -> seconds.put(e.getKey(), e.getValue().asDouble()));
    }

    /** Adds the time since startNanos to the phase and saves. */
    void add(String phase, long startNanos) {
        seconds.merge(phase, (System.nanoTime() - startNanos) / 1e9, Double::sum);
        ObjectNode o = Json.MAPPER.createObjectNode();
        seconds.forEach(o::put);
        StudyFiles.writeJson(file, o);
    }

    Map<String, Double> seconds() {
        return seconds;
    }

    double total() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
