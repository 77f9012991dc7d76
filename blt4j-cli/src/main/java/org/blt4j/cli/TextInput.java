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

    /**
     * The text as a stream (a .gz file decompressed as it is read), for inputs of any size; {@link #size} tells how
     * many bytes {@link #counted} will count in all (the file's size on disk), -1 for inline text.
     */
    java.io.InputStream open() {
        if (text != null && file != null) throw new Blt4jException("give either TEXT or --file, not both");
        if (file == null) {
            if (text == null) throw new Blt4jException("no input: give TEXT or --file F");
            return new java.io.ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        requireFile(file);
        try {
            counted = new CountingStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16));
            return file.toString().endsWith(".gz") ? new java.util.zip.GZIPInputStream(counted, 1 << 16) : counted;
        } catch (IOException e) {
            throw new Blt4jException("--file " + file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Size of --file on disk, -1 for inline text. */
    long size() {
        if (file != null) requireFile(file);
        try {
            return file == null ? -1 : Files.size(file);
        } catch (IOException e) {
            throw new Blt4jException("--file " + file + ": cannot read (" + e.getMessage() + ")");
        }
    }

    /** Bytes of --file read so far (compressed ones for a .gz), after {@link #open}. */
    long counted() {
        return counted == null ? 0 : counted.count;
    }

    private CountingStream counted;

    /** Counts the bytes read through it. */
    private static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(java.io.InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }

    byte[] bytes() {
        if (text != null && file != null) throw new Blt4jException("give either TEXT or --file, not both");
        if (file != null) {
            requireFile(file);
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

    /** --file must name a readable regular file: one line saying which it is not. */
    static void requireFile(Path file) {
        if (Files.isDirectory(file)) throw new Blt4jException("--file " + file + " is a folder: give the file to read");
        if (!Files.exists(file)) throw new Blt4jException("--file " + file + ": no such file");
        if (!Files.isRegularFile(file) && !file.startsWith("/dev/"))
            throw new Blt4jException("--file " + file + " is not a regular file");
        if (!Files.isReadable(file)) throw new Blt4jException("--file " + file + ": not readable (permissions)");
    }
}
