package org.blt4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, name.endsWith(".gz") ? gzip(content) : content);
        return p;
    }

    private Path write(String name, String content) throws IOException {
        return write(name, content.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    private static List<String> texts(List<byte[]> docs) {
        return docs.stream().map(d -> new String(d, StandardCharsets.UTF_8)).toList();
    }

    private Blt4jException fails(Path p) {
        return assertThrows(Blt4jException.class, () -> Corpus.read(p));
    }

    private static void says(Blt4jException e, String... parts) {
        for (String part : parts) assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' lacks '" + part + "'");
    }

    @Test
    void plainTextIsCutAtBlankLines() throws IOException {
        String text = "\uFEFFFirst doc,\nsecond line.\n\nSecond doc\r\n\r\n  \t \n\nThird é doc\n\n\n";
        assertEquals(List.of("First doc,\nsecond line.", "Second doc", "Third é doc"), texts(Corpus.read(write("a.txt", text))));
        assertEquals(List.of("First doc,\nsecond line.", "Second doc", "Third é doc"), texts(Corpus.read(write("a.txt.gz", text))));
        assertEquals(List.of("\uFEFFone", "two"), texts(Corpus.read(write("b.md", "\uFEFF\uFEFFone\n\ntwo"))));
    }

    @Test
    void linesModeMakesEveryLineADocument() throws IOException {
        Path p = write("europarl.lines.txt", "t1\td\tbody one\nt2\td\tbody two\r\n\n");
        assertEquals(List.of("t1\td\tbody one", "t2\td\tbody two"), texts(Corpus.read(p, Corpus.Documents.LINES)));
    }

    @Test
    void jsonLines() throws IOException {
        String jsonl = "{\"text\": \"hello\\nworld\", \"id\": 1}\n\n{\"text\": \"\"}\n{\"text\": \"caf\\u00e9 \u2603\"}\n";
        assertEquals(List.of("hello\nworld", "café ☃"), texts(Corpus.read(write("d.jsonl", jsonl))));
        assertEquals(List.of("hello\nworld", "café ☃"), texts(Corpus.read(write("d.jsonl.gz", jsonl))));
    }

    @Test
    void bundledSampleReads() {
        Path sample = Path.of("..", "data", "sotu-sample.txt.gz");
        List<byte[]> docs = Corpus.read(sample);
        assertEquals(23, docs.size());
        for (byte[] d : docs) assertTrue(d.length > 1000 && d[d.length - 1] != '\n');
    }

    @Test
    void missingEmptyAndBlankFiles() throws IOException {
        says(fails(dir.resolve("nope.txt")), "nope.txt", "no such file");
        says(fails(write("empty.txt", "")), "empty.txt", "the file is empty");
        says(fails(write("empty.txt.gz", "")), "empty.txt.gz", "empty once decompressed");
        says(fails(write("blank.txt", "\n\n  \n")), "blank.txt", "no documents", "only blank lines");
        says(fails(write("blank.jsonl", "{\"text\": \"\"}\n")), "blank.jsonl", "no documents");
        says(fails(dir), "is a folder");
    }

    @Test
    void binaryFilesAreRecognised() throws IOException {
        byte[] withNul = "some text\0more".getBytes(StandardCharsets.UTF_8);
        says(fails(write("nul.txt", withNul)), "nul.txt", "looks binary", "NUL byte at offset 9");
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        for (int i = 0; i < noise.length; i++) if (noise[i] == 0) noise[i] = 1;
        says(fails(write("noise.bin", noise)), "noise.bin", "looks binary", "not valid UTF-8");
        Path notGzip = dir.resolve("fake.txt.gz");
        Files.writeString(notGzip, "plain text");
        says(fails(notGzip), "fake.txt.gz", "not a valid gzip file");
        byte[] gz = gzip("a truncated gzip stream of text".repeat(50).getBytes(StandardCharsets.UTF_8));
        Path truncated = dir.resolve("cut.txt.gz");
        Files.write(truncated, java.util.Arrays.copyOf(gz, gz.length / 2));
        says(fails(truncated), "cut.txt.gz", "not a valid gzip file");
    }

    @Test
    void fewInvalidBytesAreFine() throws IOException {
        byte[] latin1 = "na\u00efve caf\u00e9 text with a few Latin-1 bytes".getBytes(StandardCharsets.ISO_8859_1);
        assertArrayEquals(latin1, Corpus.read(write("latin1.txt", latin1)).get(0));
    }

    @Test
    void badJsonLinesNameFileLineAndProblem() throws IOException {
        says(fails(write("m.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated}\n")), "m.jsonl:2", "malformed JSON");
        says(fails(write("t.jsonl", "{\"text\": \"ok\"} trailing\n")), "t.jsonl:1", "malformed JSON");
        says(fails(write("n.jsonl", "{\"text\": \"ok\"}\n\n{\"body\": \"x\", \"id\": 3}\n")), "n.jsonl:3", "no \"text\" field", "[body, id]");
        says(fails(write("s.jsonl", "{\"text\": 42}\n")), "s.jsonl:1", "\"text\" must be a string, got number");
        says(fails(write("a.jsonl", "[\"text\"]\n")), "a.jsonl:1", "expected a JSON object");
    }

    @Test
    void utf8Check() {
        assertEquals(0, Utf8Check.invalidBytes("aé☃\uD83D\uDE00".getBytes(StandardCharsets.UTF_8), 10));
        byte[] cut = "a☃".getBytes(StandardCharsets.UTF_8);
        assertEquals(0, Utf8Check.invalidBytes(cut, cut.length - 1));               // sequence cut by the sample end
        assertEquals(2, Utf8Check.invalidBytes(new byte[] {(byte) 0xC0, (byte) 0x80}, 2)); // overlong
        assertEquals(1, Utf8Check.invalidBytes(new byte[] {(byte) 0xE2, 'a', 'b'}, 3));
        assertEquals(3, Utf8Check.invalidBytes(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 3)); // surrogate
    }
}
