package org.blt4j.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainerTest {
    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String tok(TiktokenRanks r, int rank) {
        return new String(r.token(rank), StandardCharsets.UTF_8);
    }

    @Test
    void bytesFirstThenMostFrequentPairs() {
        // chunks "ab" x1, " ab" x2, " cd" x1: (a,b)=3 merges first, then (' ', ab)=2; nothing else occurs twice
        TiktokenRanks r = BpeTrainer.train(List.of(utf8("ab ab ab cd")), 4096);
        assertEquals(258, r.size());
        for (int b = 0; b < 256; b++) assertArrayEquals(new byte[] {(byte) b}, r.token(b));
        assertEquals("ab", tok(r, 256));
        assertEquals(" ab", tok(r, 257));
    }

    @Test
    void tiesGoToTheSmallerPair() {
        // chunks "xy" x1, " yx" x2, " xy" x1: (x,y), (' ',y), (y,x) all occur twice; (' '=32, 'y') is the smallest
        TiktokenRanks r = BpeTrainer.train(List.of(utf8("xy yx xy yx")), 257);
        assertEquals(257, r.size());
        assertEquals(" y", tok(r, 256));
    }

    @Test
    void stopsAtTheVocabSizeAndCountsRepeatsWithoutOverlap() {
        // "aaaa" x2: (a,a) counts 3 per word; merged left to right it gives [aa, aa], then (aa, aa) → "aaaa"
        TiktokenRanks r = BpeTrainer.train(List.of(utf8("aaaa"), utf8("aaaa")), 300);
        assertEquals(258, r.size());
        assertEquals("aa", tok(r, 256));
        assertEquals("aaaa", tok(r, 257));
        assertEquals(257, BpeTrainer.train(List.of(utf8("aaaa"), utf8("aaaa")), 257).size());
    }

    @Test
    void mergeReplacesNonOverlappingPairsLeftToRight() {
        assertArrayEquals(new int[] {9, 9}, BpeTrainer.merge(new int[] {1, 1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {9, 1}, BpeTrainer.merge(new int[] {1, 1, 1}, 1, 1, 9));
        assertArrayEquals(new int[] {3, 9, 9}, BpeTrainer.merge(new int[] {3, 1, 2, 1, 2}, 1, 2, 9));
        assertEquals(null, BpeTrainer.merge(new int[] {2, 1}, 1, 2, 9));
    }

    @Test
    void invalidUtf8BytesAreNotPartOfChunks() {
        // 0xff splits "ab" from "ab"; both still count as chunks
        var chunks = BpeTrainer.countChunks(List.of(new byte[] {'a', 'b', (byte) 0xff, 'a', 'b'}));
        assertEquals(1, chunks.size());
        assertEquals(2, chunks.get("ab")[0]);
    }

    @Test
    void trainsDeterministically(@TempDir Path dir) throws Exception {
        List<byte[]> docs = TokenizerTest.sample();
        Path f1 = dir.resolve("a.tiktoken"), f2 = dir.resolve("b.tiktoken");
        BpeTrainer.train(docs, 1024).write(f1);
        BpeTrainer.train(docs, 1024).write(f2);
        assertArrayEquals(Files.readAllBytes(f1), Files.readAllBytes(f2));
        TiktokenRanks back = TiktokenRanks.read(f1);
        assertEquals(1024, back.size());
        assertTrue(back.token(1023).length > 1);
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count()); // no temporary files left
        }
    }

    @Test
    void incrementalCountsAgreeWithARecountPerMerge() {
        List<byte[]> docs = TokenizerTest.sample().subList(0, 2);
        TiktokenRanks fast = BpeTrainer.train(docs, 600);
        List<byte[]> slow = naiveTrain(docs, 600);
        assertEquals(slow.size(), fast.size());
        for (int r = 0; r < slow.size(); r++) assertArrayEquals(slow.get(r), fast.token(r), "rank " + r);
    }

    /** The definition: recount every pair of every chunk before each merge. */
    static List<byte[]> naiveTrain(List<byte[]> docs, int vocabSize) {
        var chunks = BpeTrainer.countChunks(docs);
        List<int[]> words = new java.util.ArrayList<>();
        List<Long> counts = new java.util.ArrayList<>();
        for (var e : chunks.entrySet()) {
            byte[] b = e.getKey().getBytes(StandardCharsets.UTF_8);
            int[] ids = new int[b.length];
            for (int k = 0; k < b.length; k++) ids[k] = b[k] & 0xff;
            words.add(ids);
            counts.add(e.getValue()[0]);
        }
        List<byte[]> tokens = new java.util.ArrayList<>();
        for (int b = 0; b < 256; b++) tokens.add(new byte[] {(byte) b});
        while (tokens.size() < vocabSize) {
            var pc = new java.util.TreeMap<Long, Long>();
            for (int i = 0; i < words.size(); i++) {
                int[] w = words.get(i);
                for (int k = 0; k + 1 < w.length; k++) pc.merge(((long) w[k] << 32) | w[k + 1], counts.get(i), Long::sum);
            }
            long best = -1, bestC = 0;
            for (var e : pc.entrySet()) if (e.getValue() > bestC) { best = e.getKey(); bestC = e.getValue(); }
            if (bestC < 2) break;
            int a = (int) (best >>> 32), b = (int) best;
            byte[] m = new byte[tokens.get(a).length + tokens.get(b).length];
            System.arraycopy(tokens.get(a), 0, m, 0, tokens.get(a).length);
            System.arraycopy(tokens.get(b), 0, m, tokens.get(a).length, tokens.get(b).length);
            int t = -1;
            for (int r = 0; r < tokens.size(); r++) if (java.util.Arrays.equals(tokens.get(r), m)) t = r;
            if (t < 0) { t = tokens.size(); tokens.add(m); }
            for (int i = 0; i < words.size(); i++) {
                int[] nw = BpeTrainer.merge(words.get(i), a, b, t);
                if (nw != null) words.set(i, nw);
            }
        }
        return tokens;
    }

    @Test
    void rejectsABadVocabSize() {
        var e = assertThrows(Blt4jException.class, () -> BpeTrainer.train(List.of(), 100));
        assertTrue(e.getMessage().contains("[256 (the bytes), "), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> BpeTrainer.train(List.of(), 2_000_000_000)); // was an OutOfMemoryError
        assertTrue(e.getMessage().contains("got 2000000000"), e.getMessage());
    }

    /**
     * write(file, false) never replaces a file that appeared since the caller checked (two bpe-train with one --out
     * both said "wrote", one tokenizer was lost): refused, the other file left as it was, no temporary left behind.
     */
    @Test
    void writingWithoutReplacingRefusesAFileThatAppeared(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        TiktokenRanks ranks = BpeTrainer.train(List.of("the cat sat on the mat".getBytes(StandardCharsets.UTF_8)), 260);
        Path out = tmp.resolve("bpe.tiktoken");
        ranks.write(out, false);
        assertEquals(ranks.size(), TiktokenRanks.read(out).size());
        Files.writeString(out, "theirs");
        Blt4jException e = assertThrows(Blt4jException.class, () -> ranks.write(out, false));
        assertTrue(e.getMessage().contains("appeared while this one was trained"), e.getMessage());
        assertEquals("theirs", Files.readString(out));
        try (var files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "no temporary left");
        }
    }
}
