package org.blt4j.data;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.blt4j.Blt4jException;

/**
 * Reads a training corpus into documents (UTF-8 bytes), by file name:
 * <ul>
 *   <li>{@code *.jsonl}, {@code *.jsonl.gz}: one JSON object per line, the document in its string field "text"
 *       (blank lines are skipped);
 *   <li>anything else, gzip-compressed when the name ends in {@code .gz}: plain text cut into documents at blank lines
 *       ({@link Documents#PARAGRAPHS}, the layout of the State of the Union corpus) or one per line
 *       ({@link Documents#LINES}).
 * </ul>
 * Empty documents are dropped. A file that looks binary (a NUL byte, or more than 30% of its first 64 KB not valid
 * UTF-8), a missing, empty or malformed file gets a {@link Blt4jException} naming the file (and line) and what to do.
 */
public final class Corpus {
    /** How plain text is cut into documents. */
    public enum Documents {
        /** documents are separated by blank (empty or whitespace-only) lines */
        PARAGRAPHS,
        /** every non-blank line is a document */
        LINES
    }

    static final int SNIFF_BYTES = 64 * 1024;
    static final double MAX_INVALID_UTF8 = 0.30;

    private static final ObjectMapper JSON = org.blt4j.io.Json.MAPPER;

    private Corpus() {}

    /** The documents of a file; plain text is cut at blank lines. */
    public static List<byte[]> read(Path file) {
        return read(file, Documents.PARAGRAPHS);
    }

    /** The documents of a file; plain text is cut as {@code documents} says (JSON lines are one document per line). */
    public static List<byte[]> read(Path file, Documents documents) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        boolean gz = name.endsWith(".gz");
        boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
        byte[] content = readBytes(file, gz);
        if (content.length == 0)
            throw new Blt4jException("corpus " + file + ": the file is empty" + (gz ? " once decompressed" : "")
                    + "; give a file with at least one document");
        checkNotBinary(content, file.toString());
        List<byte[]> docs = jsonl ? jsonLines(content, file.toString()) : text(content, documents);
        if (docs.isEmpty())
            throw new Blt4jException("corpus " + file + ": no documents (" + (jsonl
                    ? "every line is blank or has an empty \"text\"" : "the file holds only blank lines") + ")");
        return docs;
    }

    /**
     * The documents of a file's raw content read elsewhere (a Spark task reading through Hadoop's file system), split
     * exactly as {@link #read(Path)} splits a file of that name: gunzipped when the name ends in .gz, JSON lines when
     * it ends in .jsonl(.gz), else plain text cut at blank lines. An empty or document-less file gives an empty list
     * (one file of many may be empty); a binary or malformed one a {@link Blt4jException} naming it.
     */
    public static List<byte[]> parse(InputStream raw, String name) {
        boolean gz = name.endsWith(".gz");
        boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
        byte[] content;
        try (InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
            content = in.readAllBytes();
        } catch (ZipException | EOFException e) {
            throw new Blt4jException("corpus " + name + ": not a valid gzip file (" + e.getMessage()
                    + "); its name ends in .gz, so it must be gzip-compressed, or rename it", e);
        } catch (IOException e) {
            throw new Blt4jException("corpus " + name + ": cannot read it: " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new Blt4jException("corpus " + name + ": too large to hold in memory; split it into smaller files", e);
        }
        if (content.length == 0) return List.of();
        checkNotBinary(content, name);
        return jsonl ? jsonLines(content, name) : text(content, Documents.PARAGRAPHS);
    }

    /**
     * The first documents of a file (plain text cut at blank lines, or JSON lines), at least {@code minBytes} of them
     * when the file holds that many, reading only about twice that from the start: a document cut by the end of what
     * was read is left out, so each one returned is what {@link #read} gives. For evaluating the start of a file of
     * any size. {@code minBytes} past 2^31 (or ≤ 0) reads the whole file, as {@link #read} does.
     */
    public static List<byte[]> readPrefix(Path file, long minBytes) {
        return readPrefix(file, minBytes, false);
    }

    /**
     * Like {@link #readPrefix(Path, long)}, but a plain-text document longer than what was read is cut there instead
     * of read whole: the documents returned hold at least {@code minBytes} bytes, the last one possibly cut past
     * them. For scoring the start of a file whose first document is huge (eval of 2,000 bytes of a 200 MB document
     * reads about 64 KB, not the document). JSON lines are never cut (a line is parsed whole).
     */
    public static List<byte[]> readStart(Path file, long minBytes) {
        return readPrefix(file, minBytes, true);
    }

    private static List<byte[]> readPrefix(Path file, long minBytes, boolean cutLast) {
        String name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        boolean gz = name.endsWith(".gz");
        boolean jsonl = name.endsWith(".jsonl") || name.endsWith(".jsonl.gz");
        if (minBytes <= 0 || minBytes >= Integer.MAX_VALUE) return read(file);   // all of it (2·minBytes would wrap)
        for (long want = Math.max(1 << 16, 2 * minBytes); ; want *= 2) {
            int max = (int) Math.min(want, Integer.MAX_VALUE - 8);
            boolean[] more = new boolean[1];
            byte[] content = readBytes(file, gz, max, more);
            if (!more[0]) return read(file);
            checkNotBinary(content, file.toString());
            List<byte[]> docs;
            if (jsonl) { // whole lines only: the last one may be cut
                int end = content.length;
                while (end > 0 && content[end - 1] != '\n') end--;
                docs = jsonLines(java.util.Arrays.copyOf(content, end), file.toString());
            } else {
                docs = text(content, Documents.PARAGRAPHS);
                long all = totalBytes(docs), whole = all - (docs.isEmpty() ? 0 : docs.getLast().length);
                boolean keepCut = cutLast && whole < minBytes && all >= minBytes;   // the whole ones fall short, the cut one covers it
                if (!docs.isEmpty() && !keepCut) docs = docs.subList(0, docs.size() - 1); // possibly cut by the end of the read
            }
            if (totalBytes(docs) >= minBytes || max == Integer.MAX_VALUE - 8) {
                if (docs.isEmpty())
                    throw new Blt4jException("corpus " + file + ": no complete document in its first " + max + " bytes");
                return docs;
            }
        }
    }

    /** Total bytes of the documents. */
    public static long totalBytes(List<byte[]> docs) {
        long n = 0;
        for (byte[] d : docs) n += d.length;
        return n;
    }

    private static byte[] readBytes(Path file, boolean gz) {
        return readBytes(file, gz, Integer.MAX_VALUE - 8, new boolean[1]);
    }

    /** At most {@code max} bytes from the start of the file; more[0] tells whether the file goes on. */
    private static byte[] readBytes(Path file, boolean gz, int max, boolean[] more) {
        if (Files.isDirectory(file)) throw new Blt4jException("corpus " + file + " is a folder; give a text, .gz or .jsonl file");
        if (Files.exists(file) && !Files.isRegularFile(file))   // a FIFO blocked for a writer forever; /dev/zero read 2 GB
            throw new Blt4jException("corpus " + file + " is not a regular file (a FIFO, device or socket); give a text, .gz or .jsonl file");
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw) {
            byte[] b = in.readNBytes(max);
            more[0] = in.read() >= 0;
            return b;
        } catch (NoSuchFileException e) {
            throw new Blt4jException("corpus " + file + ": no such file", e);
        } catch (AccessDeniedException e) {
            throw new Blt4jException("corpus " + file + ": permission denied", e);
        } catch (ZipException | EOFException e) {
            throw new Blt4jException("corpus " + file + ": not a valid gzip file (" + e.getMessage()
                    + "); its name ends in .gz, so it must be gzip-compressed, or rename it", e);
        } catch (IOException e) {
            throw new Blt4jException("corpus " + file + ": cannot read it: " + e.getMessage(), e);
        }
    }

    /** Rejects content whose first 64 KB holds a NUL byte or is more than 30% invalid UTF-8. */
    static void checkNotBinary(byte[] content, String name) {
        int n = Math.min(content.length, SNIFF_BYTES);
        for (int i = 0; i < n; i++)
            if (content[i] == 0)
                throw new Blt4jException("corpus " + name + " looks binary (a NUL byte at offset " + i
                        + "); give UTF-8 text, gzip-compressed text (.gz) or JSON lines (.jsonl)");
        int invalid = Utf8Check.invalidBytes(content, n);
        if (invalid > MAX_INVALID_UTF8 * n)
            throw new Blt4jException(String.format("corpus %s looks binary: %.0f%% of its first %d bytes are not valid "
                    + "UTF-8; give UTF-8 text, gzip-compressed text (.gz) or JSON lines (.jsonl)", name, 100.0 * invalid / n, n));
    }

    /** Plain text cut into documents; a leading UTF-8 byte-order mark is dropped, line ends (\n or \r\n) kept inside. */
    static List<byte[]> text(byte[] t, Documents documents) {
        List<byte[]> docs = new ArrayList<>();
        int start = t.length >= 3 && (t[0] & 0xFF) == 0xEF && (t[1] & 0xFF) == 0xBB && (t[2] & 0xFF) == 0xBF ? 3 : 0;
        int docStart = -1, docEnd = -1;   // byte range of the current document's non-blank lines
        for (int lineStart = start; lineStart < t.length; ) {
            int nl = indexOf(t, (byte) '\n', lineStart);
            int lineEnd = nl < 0 ? t.length : nl;
            int contentEnd = lineEnd > lineStart && t[lineEnd - 1] == '\r' ? lineEnd - 1 : lineEnd;
            if (isBlank(t, lineStart, contentEnd)) {
                if (docStart >= 0) docs.add(Arrays.copyOfRange(t, docStart, docEnd));
                docStart = -1;
            } else if (documents == Documents.LINES) {
                docs.add(Arrays.copyOfRange(t, lineStart, contentEnd));
            } else {
                if (docStart < 0) docStart = lineStart;
                docEnd = contentEnd;
            }
            lineStart = lineEnd + 1;
        }
        if (docStart >= 0) docs.add(Arrays.copyOfRange(t, docStart, docEnd));
        return docs;
    }

    /** One document per JSON line, from its "text" field; blank lines and empty texts are skipped. */
    static List<byte[]> jsonLines(byte[] t, String name) {
        List<byte[]> docs = new ArrayList<>();
        int lineNo = 0;
        for (int lineStart = 0; lineStart < t.length; ) {
            lineNo++;
            int nl = indexOf(t, (byte) '\n', lineStart);
            int lineEnd = nl < 0 ? t.length : nl;
            if (!isBlank(t, lineStart, lineEnd)) {
                String where = name + ":" + lineNo;
                JsonNode node;
                try {
                    node = JSON.readTree(t, lineStart, lineEnd - lineStart);
                } catch (JacksonException e) {
                    throw new Blt4jException(where + ": malformed JSON: " + describe(e)
                            + "; each line must be one JSON object like {\"text\": \"...\"}", e);
                } catch (IOException e) {
                    throw new Blt4jException(where + ": cannot parse: " + e.getMessage(), e);
                }
                if (!node.isObject())
                    throw new Blt4jException(where + ": expected a JSON object like {\"text\": \"...\"}, got "
                            + node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
                JsonNode text = node.get("text");
                if (text == null)
                    throw new Blt4jException(where + ": the object has no \"text\" field (it has " + fieldNames(node) + ")");
                if (!text.isTextual())
                    throw new Blt4jException(where + ": \"text\" must be a string, got "
                            + text.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
                byte[] doc = text.asText().getBytes(StandardCharsets.UTF_8);
                if (doc.length > 0) docs.add(doc);
            }
            lineStart = lineEnd + 1;
        }
        return docs;
    }

    private static String fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names.isEmpty() ? "no fields" : names.size() > 5 ? names.subList(0, 5) + "..." : names.toString();
    }

    private static String describe(JacksonException e) {
        String msg = e.getOriginalMessage() == null ? e.getClass().getSimpleName() : e.getOriginalMessage();
        msg = msg.replaceAll("\\s+", " ").strip();
        if (msg.length() > 160) msg = msg.substring(0, 160) + "...";
        if (e.getLocation() != null && e.getLocation().getColumnNr() > 0) msg += " (column " + e.getLocation().getColumnNr() + ")";
        return msg;
    }

    private static boolean isBlank(byte[] t, int from, int to) {
        for (int i = from; i < to; i++) {
            byte b = t[i];
            if (b != ' ' && b != '\t' && b != '\r' && b != '\f' && b != 0x0B) return false;
        }
        return true;
    }

    private static int indexOf(byte[] t, byte b, int from) {
        for (int i = from; i < t.length; i++) if (t[i] == b) return i;
        return -1;
    }
}
