package org.blt4j.study;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.io.Json;
import org.blt4j.run.RunFiles;

/** A study folder's small files: JSON written atomically (pretty), read back with one-line errors; folders deleted. */
final class StudyFiles {
    private StudyFiles() {}

    /** Writes value as pretty JSON to file, atomically (temporary sibling, then rename). */
    static void writeJson(Path file, Object value) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            RunFiles.writeAtomically(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
        } catch (IOException e) {
            throw new Blt4jException("study: cannot write " + file + ": " + e.getMessage());
        }
    }

    static JsonNode readTree(Path file) {
        try {
            return Json.MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new Blt4jException("study: cannot read " + file + ": " + e.getMessage());
        }
    }

    /** file as a {@code type}; an unreadable one is a one-line error that says deleting it redoes its part. */
    static <T> T read(Path file, Class<T> type) {
        try {
            return Json.MAPPER.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new Blt4jException("study: " + file + " is not readable (" + e.getMessage() + "); delete it to redo its part");
        }
    }

    /**
     * Deletes a file or folder tree; a failure is an error (unlike AtomicFiles.deleteQuietly: here a leftover would be
     * read again as a result).
     */
    static void deleteTree(Path p) {
        try {
            org.blt4j.io.AtomicFiles.deleteTree(p);
        } catch (IOException e) {
            throw new Blt4jException("study: cannot delete " + p + ": " + e.getMessage());
        }
    }
}
