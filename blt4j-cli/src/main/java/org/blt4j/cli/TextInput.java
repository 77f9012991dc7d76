package org.blt4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The text a command works on: given inline or read from a file (raw bytes). */
final class TextInput {
    @Parameters(index = "0", arity = "0..1", paramLabel = "TEXT", description = "the text (or use --file)")
    String text;

    @Option(names = "--file", paramLabel = "F", description = "read the text from this file (.gz is decompressed)")
    Path file;

    byte[] bytes() {
        if (text != null && file != null) throw new Blt4jException("give either TEXT or --file, not both");
        if (file != null) {
            if (!Files.isRegularFile(file)) throw new Blt4jException("--file " + file + ": no such file");
            try {
                byte[] raw = Files.readAllBytes(file);
                if (file.toString().endsWith(".gz"))
                    try (var in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
                        return in.readAllBytes();
                    }
                return raw;
            } catch (IOException e) {
                throw new Blt4jException("--file " + file + ": cannot read (" + e.getMessage() + ")");
            }
        }
        if (text == null) throw new Blt4jException("no input: give TEXT or --file F");
        return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
