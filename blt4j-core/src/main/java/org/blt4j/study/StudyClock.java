package org.blt4j.study;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;
import org.blt4j.run.RunFiles;

/**
 * Seconds each phase of a study took, summed over every invocation (a resumed study adds to them), kept in
 * OUT/times.json and rewritten atomically after each phase.
 */
final class StudyClock {
    private final Path file;
    private final Map<String, Double> seconds = new LinkedHashMap<>();

    StudyClock(Path file) {
        this.file = file;
        if (Files.isRegularFile(file)) {
            try {
                Json.MAPPER.readTree(file.toFile()).properties().forEach(e -> seconds.put(e.getKey(), e.getValue().asDouble()));
            } catch (IOException e) {
                throw new Blt4jException("study: " + file + " is not readable (" + e.getMessage() + "); delete it (only the report's times are lost)");
            }
        }
    }

    /** Adds the time since startNanos to the phase and saves. */
    void add(String phase, long startNanos) {
        seconds.merge(phase, (System.nanoTime() - startNanos) / 1e9, Double::sum);
        ObjectNode o = Json.MAPPER.createObjectNode();
        seconds.forEach(o::put);
        try {
            Files.createDirectories(file.getParent());
            RunFiles.writeAtomically(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
        } catch (IOException e) {
            throw new Blt4jException("study: cannot write " + file + ": " + e.getMessage());
        }
    }

    Map<String, Double> seconds() {
        return seconds;
    }

    double total() {
        return seconds.values().stream().mapToDouble(Double::doubleValue).sum();
    }
}
