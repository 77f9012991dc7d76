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
}
