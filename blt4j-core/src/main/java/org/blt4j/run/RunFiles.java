package org.blt4j.run;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.blt4j.Blt4jException;

/**
 * File helpers of the training package: a strict JSON mapper, hidden temporary siblings, atomic small-file writes
 * (temp + fsync + rename), folder fsync and best-effort clean-up.
 */
final class RunFiles {
    /**
     * Strict like the io package's mapper (duplicate keys and trailing content are errors); null record fields (e.g.
     * the unset options of BltArgs) are left out when a record becomes JSON.
     */
    static final ObjectMapper JSON = JsonMapper.builder()
            .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.ALWAYS))
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private RunFiles() {}

    /** A fresh hidden sibling of {@code target}: ".NAME.KIND-RANDOM" in the same folder (same file system). */
    static Path sibling(Path target, String kind) {
        String rnd = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
        return target.resolveSibling("." + target.getFileName() + "." + kind + "-" + rnd);
    }

    /** Writes {@code bytes} to {@code target} atomically: a hidden sibling is written, fsynced and renamed over it. */
    static void writeAtomically(Path target, byte[] bytes) {
        Path tmp = sibling(target, "tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
            fsyncDir(target.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new Blt4jException("cannot write " + target + ": " + e, e);
        } finally {
            if (tmp != null) deleteQuietly(tmp);
        }
    }

    static byte[] readAll(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /** Jackson's message without its source dump. */
    static String describe(JacksonException e) {
        String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        msg = msg.replaceAll("\\s+", " ").strip();
        return msg.length() > 200 ? msg.substring(0, 200) + "..." : msg;
    }

    /** Makes a rename inside {@code dir} durable; best effort. */
    static void fsyncDir(Path dir) {
        org.blt4j.io.AtomicFiles.fsyncDir(dir);
    }

    /** Deletes a file or a folder tree, ignoring errors (clean-up paths only). */
    static void deleteQuietly(Path p) {
        org.blt4j.io.AtomicFiles.deleteQuietly(p);
    }
}
