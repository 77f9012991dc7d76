package org.blt4j.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerTest {
    static List<byte[]> sampleDocs;
    static BpeTokenizer trained;

    /** The bundled SOTU sample (817 KB), one document per address. */
    static synchronized List<byte[]> sample() {
        if (sampleDocs == null) sampleDocs = Corpus.read(Path.of("..", "data", "sotu-sample.txt.gz"));
        return sampleDocs;
    }

    @BeforeAll
    static void train() {
        trained = BpeTokenizer.of(BpeTrainer.train(sample(), 1024));
    }

    static List<Tokenizer> all() {
        return List.of(trained, BpeTokenizer.cl100kBase(), BpeTokenizer.o200kBase());
    }

    static void assertRoundTrip(Tokenizer t, byte[] b) {
        int[] ids = t.encode(b);
        for (int id : ids) assertTrue(id >= 0 && id < t.vocabSize(), t + ": id " + id);
        assertArrayEquals(b, t.decode(ids), t + " on " + java.util.HexFormat.of().formatHex(b));
    }

    @Test
    void roundTripsRandomBytesInvalidUtf8Included() {
        Random rnd = new Random(9);
        for (Tokenizer t : all()) {
            assertEquals(0, t.encode(new byte[0]).length);
            assertRoundTrip(t, new byte[0]);
            byte[] every = new byte[256];
            for (int i = 0; i < 256; i++) every[i] = (byte) i;
            assertRoundTrip(t, every);
            for (int i = 0; i < 256; i++) assertRoundTrip(t, new byte[] {(byte) i});
            // invalid: lone continuation, overlong, surrogate, above U+10FFFF, cut sequences, 0xff
            for (String hex : List.of("80", "c080", "c1bf", "e080af", "eda080", "edbfbf", "f4908080", "f5", "e282",
                    "f09f98", "61e2826162", "ff20ff", "f09f9880f09f98"))
                assertRoundTrip(t, java.util.HexFormat.of().parseHex(hex));
            for (int trial = 0; trial < 200; trial++) {
                byte[] b = new byte[rnd.nextInt(64)];
                rnd.nextBytes(b);
                assertRoundTrip(t, b);
                // mostly text with stray bytes
                byte[] text = utf8("Hello, wörld — 123 \u00e9t\u00e9 \uD83D\uDE00\n\n  x");
                int cut = rnd.nextInt(text.length + 1);
                var m = new ByteArrayOutputStream();
                m.write(text, 0, cut);
                m.write(rnd.nextInt(256));
                m.write(text, cut, text.length - cut);
                assertRoundTrip(t, m.toByteArray());
            }
        }
    }

    @Test
    void roundTripsRealText() {
        for (Tokenizer t : all()) for (byte[] d : sample().subList(0, 3)) assertRoundTrip(t, d);
    }

    @Test
    void invalidBytesBecomeSingleByteTokens() {
        int[] ids = trained.encode(new byte[] {'a', (byte) 0xff, 'b'});
        assertArrayEquals(new int[] {'a', 0xff, 'b'}, ids); // trained ranks: byte b has rank b
        int[] cl = BpeTokenizer.cl100kBase().encode(new byte[] {(byte) 0xff});
        assertEquals(1, cl.length);
    }

    @Test
    void trainedFileLoadsInJtokkitWithTheSameIds(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("bpe.tiktoken");
        BpeTrainer.train(sample(), 1024).write(f);
        // parsed here, independently of TiktokenRanks, and registered in jtokkit
        Map<byte[], Integer> ranks = new HashMap<>();
        for (String line : Files.readAllLines(f)) {
            String[] p = line.split(" ");
            ranks.put(Base64.getDecoder().decode(p[0]), Integer.parseInt(p[1]));
        }
        assertEquals(1024, ranks.size());
        var enc = Encodings.newDefaultEncodingRegistry().registerGptBytePairEncoding(
                new GptBytePairEncodingParams("test-bpe", BpeTokenizer.PATTERN, ranks, Map.of())).getEncoding("test-bpe")
                .orElseThrow();
        BpeTokenizer loaded = BpeTokenizer.load(f);
        assertEquals(1024, loaded.vocabSize());
        String text = new String(sample().get(5), StandardCharsets.UTF_8);
        int[] ids = loaded.encode(utf8(text));
        assertArrayEquals(enc.encodeOrdinary(text).toArray(), ids);
        assertArrayEquals(trained.encode(utf8(text)), ids);
        assertTrue(ids.length < text.length() / 2, "merges are used: " + ids.length + " tokens");
    }

    @Test
    void bundledEncodingsMatchJtokkit() {
        var reg = Encodings.newDefaultEncodingRegistry();
        String text = "The State of the Union is strong. ünïcödé 🎉 1234567";
        assertArrayEquals(reg.getEncoding(com.knuddels.jtokkit.api.EncodingType.CL100K_BASE).encodeOrdinary(text)
                .toArray(), BpeTokenizer.named("cl100k_base").encode(utf8(text)));
        assertArrayEquals(reg.getEncoding(com.knuddels.jtokkit.api.EncodingType.O200K_BASE).encodeOrdinary(text)
                .toArray(), BpeTokenizer.named("o200k_base").encode(utf8(text)));
        assertEquals(100256, BpeTokenizer.cl100kBase().vocabSize());
        assertEquals(199998, BpeTokenizer.o200kBase().vocabSize());
    }

    @Test
    void badInputGivesOneLineErrors(@TempDir Path dir) throws Exception {
        var e = assertThrows(Blt4jException.class, () -> trained.decode(new int[] {5, 1024}));
        assertTrue(e.getMessage().contains("outside [0, 1024)"), e.getMessage());
        Path bad = dir.resolve("bad.tiktoken");
        Files.writeString(bad, "YQ== 0\nnot-a-line\n");
        e = assertThrows(Blt4jException.class, () -> BpeTokenizer.load(bad));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        Files.writeString(bad, "YQ== 0\n");
        e = assertThrows(Blt4jException.class, () -> BpeTokenizer.load(bad));
        assertTrue(e.getMessage().contains("lack the single byte 0x00"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> BpeTokenizer.load(dir.resolve("missing")));
        assertTrue(e.getMessage().contains("no such BPE ranks file"), e.getMessage());
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
