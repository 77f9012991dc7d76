package org.blt4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start of a corpus, read without reading the rest: the documents read() gives, as many as asked for. */
class CorpusPrefixTest {
    static void assertStartOf(List<byte[]> all, List<byte[]> prefix, long minBytes) {
        assertTrue(Corpus.totalBytes(prefix) >= minBytes, Corpus.totalBytes(prefix) + " < " + minBytes);
        for (int d = 0; d < prefix.size(); d++) assertArrayEquals(all.get(d), prefix.get(d), "document " + d);
    }

    @Test
    void theFirstDocumentsOfTheStateOfTheUnion() {
        Path sotu = Path.of("..", "data", "sotu.txt.gz");
        List<byte[]> all = Corpus.read(sotu);
        for (long min : new long[] {1, 100_000, 1_500_000}) {
            List<byte[]> prefix = Corpus.readPrefix(sotu, min);
            assertStartOf(all, prefix, min);
            assertTrue(prefix.size() < all.size());
        }
        assertEquals(all.size(), Corpus.readPrefix(sotu, Long.MAX_VALUE / 4).size());   // more than the file: all of it
    }

    @Test
    void jsonLinesCutMidLineLoseThatLineOnly(@TempDir Path tmp) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) sb.append("{\"text\": \"document number ").append(i).append(" with some words\"}\n");
        Path f = Files.writeString(tmp.resolve("c.jsonl"), sb, StandardCharsets.UTF_8);
        List<byte[]> all = Corpus.read(f);
        List<byte[]> prefix = Corpus.readPrefix(f, 20_000);
        assertStartOf(all, prefix, 20_000);
        assertTrue(prefix.size() < all.size());
    }

    @Test
    void readStartCutsAHugeFirstDocumentInsteadOfReadingItWhole(@TempDir Path tmp) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 4_000_000; i++) sb.append("line ").append(i).append(" of one long document\n");
        sb.append("\nsecond document\n");
        Path f = Files.writeString(tmp.resolve("huge.txt"), sb, StandardCharsets.UTF_8);
        byte[] first = Corpus.read(f).getFirst();
        assertEquals(first.length, Corpus.readPrefix(f, 2000).getFirst().length);    // whole documents: all 4 MB of it
        List<byte[]> start = Corpus.readStart(f, 2000);
        assertEquals(1, start.size());
        byte[] cut = start.getFirst();
        assertTrue(cut.length >= 2000 && cut.length <= 1 << 16, "read " + cut.length + " bytes for 2,000");
        assertArrayEquals(java.util.Arrays.copyOf(first, cut.length), cut);
    }

    @Test
    void readStartKeepsWholeDocumentsWhenTheyCoverTheStart() {
        Path sotu = Path.of("..", "data", "sotu.txt.gz");
        List<byte[]> all = Corpus.read(sotu);
        for (long min : new long[] {1, 100_000}) {
            List<byte[]> start = Corpus.readStart(sotu, min), prefix = Corpus.readPrefix(sotu, min);
            assertEquals(prefix.size(), start.size());
            assertStartOf(all, start, min);
        }
    }
}
