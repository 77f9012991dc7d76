package org.blt4j.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.HfLayout;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java API on the tiny golden BLT and its entropy model. */
class BltTest {
    static final double T = 1.8886666297912598; // the golden case's threshold
    static final String TEXT = "Hello, naïve café 🙂 world.\nThe byte latent transformer patches bytes.";
    static Path bltDir, emDir;
    static Blt blt;

    @BeforeAll
    static void load() {
        bltDir = GoldenCases.root().resolve("blt_base");
        emDir = GoldenCases.root().resolve("entropy_model_forward");
        blt = Blt.load(bltDir, emDir, T);
    }

    @AfterAll
    static void close() {
        blt.close();
    }

    /** close() unmaps the BLT's checkpoint (its hash tables are read in place): at once when idle, else after the last call. */
    @Test
    void closeReleasesTheMappedFilesWhenNoCallRuns() {
        Blt b = Blt.load(bltDir, emDir, T);
        assertFalse(b.released());
        b.close();
        assertTrue(b.released());
        b.close();                                                        // idempotent
        assertTrue(assertThrows(Blt4jException.class, () -> b.patch("x")).getMessage().contains("closed"));

        Blt c = Blt.load(bltDir, emDir, T);
        String expected = c.generate("The ", GenerateOptions.greedy().withMaxBytes(24));
        StringBuilder got = new StringBuilder();
        boolean[] releasedInside = {true};
        c.generate("The ", GenerateOptions.greedy().withMaxBytes(24), piece -> {
            if (got.isEmpty()) {
                c.close();                                                // from inside the call: it goes on
                releasedInside[0] = c.released();
            }
            got.append(piece);
        });
        assertFalse(releasedInside[0], "released while its call was running");
        assertEquals(expected, got.toString());
        assertTrue(c.released());

        ByteLatentTransformer m = ModelLoader.blt(bltDir, true);         // the model's own close unmaps the file
        int[] ids = ByteTokenizer.encode("ab".getBytes(StandardCharsets.UTF_8), true, false);
        m.forward(ids, new int[] {1, 1, 1});
        m.close();
        String why = assertThrows(Blt4jException.class, () -> m.forward(ids, new int[] {1, 1, 1})).getMessage();
        assertTrue(why.contains("closed"), why);
    }

    @Test
    void streamedPiecesJoinToTheWholeResult() {
        for (GenerateOptions o : List.of(GenerateOptions.greedy().withMaxBytes(48),
                GenerateOptions.defaults().withMaxBytes(48).withTemperature(0.9).withTopP(0.95).withSeed(7))) {
            List<String> pieces = new ArrayList<>();
            blt.generate("The ", o, pieces::add);
            String whole = blt.generate("The ", o);
            assertFalse(whole.isEmpty(), "generated something");
            assertEquals(whole, String.join("", pieces), o.toString());
            for (String p : pieces) {
                assertFalse(p.isEmpty(), "no empty pieces");
                assertEquals(p, new String(p.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8), "whole characters");
            }
        }
    }

    @Test
    void greedyIsTheGeneratorsGreedyBytes() {
        // the same bytes as the generator run directly, decoded
        ByteLatentTransformer m = ModelLoader.blt(bltDir, true);
        EntropyModel em = ModelLoader.entropyModel(emDir);
        int[] prompt = ByteTokenizer.encode("The ".getBytes(StandardCharsets.UTF_8), true, false);
        int[] ids = org.blt4j.generate.Generators.create(m, em, PatcherArgs.entropy(T).build(), false)
                .generate(prompt, 32, org.blt4j.generate.Sampler.greedy(), false, (id, step) -> true);
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (int id : ids) if (ByteTokenizer.isByte(id)) b.write(id - ByteTokenizer.OFFSET);
        String expected = b.toString(StandardCharsets.UTF_8);
        assertEquals(expected, blt.generate("The ", GenerateOptions.greedy().withMaxBytes(32).withStopAtEos(false)));
    }

    @Test
    void stopStringsStop() {
        GenerateOptions o = GenerateOptions.greedy().withMaxBytes(64).withStopAtEos(false);
        String full = blt.generate("Once upon", o);
        int at = full.offsetByCodePoints(0, full.codePointCount(0, full.length()) / 2);
        String stop = new String(Character.toChars(full.codePointAt(at)));
        String cut = blt.generate("Once upon", o.withStops("never-there", stop));
        assertEquals(full.substring(0, full.indexOf(stop)), cut);
        assertTrue(cut.length() < full.length());
        List<String> pieces = new ArrayList<>();
        blt.generate("Once upon", o.withStops(stop), pieces::add);
        assertEquals(cut, String.join("", pieces));
    }

    @Test
    void generationSaysWhatItReadAndWhyItEnded() {
        GenerateOptions o = GenerateOptions.greedy().withMaxBytes(40).withStopAtEos(false);
        StringBuilder text = new StringBuilder();
        Generation g = blt.generate("Once upon", o, text::append);
        assertEquals(new Generation(9, 0, 40, Generation.Finish.LENGTH), g);
        String full = text.toString();
        int at = full.offsetByCodePoints(0, full.codePointCount(0, full.length()) / 2);
        String stop = new String(Character.toChars(full.codePointAt(at)));
        String cut = full.substring(0, full.indexOf(stop));
        Generation s = blt.generate("Once upon", o.withStops(stop), t -> {});
        assertEquals(Generation.Finish.STOP_STRING, s.finish());
        assertEquals(cut.getBytes(StandardCharsets.UTF_8).length + stop.getBytes(StandardCharsets.UTF_8).length,
                s.generatedBytes(), "the text's bytes and the stop string's");
        // a prompt longer than the context keeps its last context - 1 bytes
        String longPrompt = "é".repeat(blt.contextBytes()); // 2 bytes each
        Generation t = blt.generate(longPrompt, o.withMaxBytes(1), x -> {});
        assertEquals(blt.contextBytes() - 2, t.promptBytes(), "whole characters: one byte less than the context holds");
        assertEquals(2L * blt.contextBytes() - t.promptBytes(), t.droppedBytes());
    }

    @Test
    void concurrentGenerationsGiveTheSequentialText() throws Exception {
        GenerateOptions o = GenerateOptions.greedy().withMaxBytes(24);
        String expected = blt.generate("The ", o);
        try (ExecutorService pool = Executors.newFixedThreadPool(3)) {
            List<Future<String>> fs = new ArrayList<>();
            for (int i = 0; i < 3; i++) fs.add(pool.submit(() -> blt.generate("The ", o)));
            for (Future<String> f : fs) assertEquals(expected, f.get());
        }
    }

    @Test
    void patchesCoverBosAndBytesAsThePatchCommand() {
        Patches p = blt.patch(TEXT);
        int[] ids = ByteTokenizer.encode(TEXT.getBytes(StandardCharsets.UTF_8), true, false);
        assertEquals(ids.length - 1, p.bytes());
        assertEquals(p.bytes() + 1, Arrays.stream(p.lengths()).sum(), "lengths sum to BOS + bytes");
        EntropyModel em = ModelLoader.entropyModel(emDir);
        float[] h = em.entropies(ids);
        assertArrayEquals(h, p.entropies(), 1e-5f);
        Patcher patcher = PatcherArgs.entropy(T).build();
        assertArrayEquals(patcher.patchLengths(ids, h, false), p.lengths());
        assertTrue(p.count() > 3, "several patches: " + p.count());
        assertEquals(p.count(), p.pieces().size());
        assertEquals(TEXT, String.join("", p.pieces()));
        assertEquals(T, p.threshold());
    }

    @Test
    void piecesKeepCharactersWhole() {
        byte[] b = "aé🙂".getBytes(StandardCharsets.UTF_8); // 1 + 2 + 4 bytes
        // BOS | a, 0xC3 | 0xA9, 0xF0 | rest: é goes with its first byte, 🙂 too
        assertEquals(List.of("", "aé", "🙂", ""), Blt.pieces(b, new int[] {1, 2, 2, 3}));
        assertEquals(List.of("aé🙂"), Blt.pieces(b, new int[] {8}));
    }

    /**
     * The pieces are made when read (a String per patch cost ~48 bytes of heap per text byte): on random texts of
     * 1-4-byte characters and random lengths, each piece is whole characters, they join to the text, each ends where
     * its patch's last byte's character ends, and the list is immutable and equal to a copy of it.
     */
    @Test
    void piecesMadeWhenReadAreTheCharactersOfEachPatch() {
        java.util.Random rnd = new java.util.Random(11);
        String[] chars = {"a", " ", "é", "€", "🙂"};
        for (int trial = 0; trial < 200; trial++) {
            StringBuilder sb = new StringBuilder();
            for (int i = rnd.nextInt(30); i > 0; i--) sb.append(chars[rnd.nextInt(chars.length)]);
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            List<Integer> lens = new java.util.ArrayList<>();
            for (int left = b.length + 1; left > 0; ) {
                int len = 1 + rnd.nextInt(Math.min(left, 6));
                lens.add(len);
                left -= len;
            }
            int[] lengths = lens.stream().mapToInt(Integer::intValue).toArray();
            List<String> pieces = Blt.pieces(b, lengths);
            assertEquals(lengths.length, pieces.size());
            assertEquals(sb.toString(), String.join("", pieces));
            int pos = 0, at = 0;   // at: bytes of the text in pieces so far
            for (int i = 0; i < lengths.length; i++) {
                pos += lengths[i];
                byte[] piece = pieces.get(i).getBytes(StandardCharsets.UTF_8);
                at += piece.length;
                int want = Math.max(Math.min(b.length, pos - 1), at - piece.length); // patches so far cover bytes [0, pos - 1)
                while (want < b.length && (b[want] & 0xC0) == 0x80) want++;            // ... and the rest of a character begun
                assertEquals(want, at, "end of piece " + i + " of " + Arrays.toString(lengths));
                if (piece.length > 0) assertTrue((piece[0] & 0xC0) != 0x80, "a piece starts with a whole character");
            }
            assertEquals(List.copyOf(pieces), pieces);
            assertThrows(UnsupportedOperationException.class, () -> pieces.set(0, "x"));
            assertThrows(IndexOutOfBoundsException.class, () -> pieces.get(lengths.length));
        }
        Patches p = blt.patch(TEXT);
        assertEquals(p, new Patches(p.lengths(), p.entropies(), new java.util.ArrayList<>(p.pieces()), p.bytes(), p.threshold()));
    }

    /**
     * A mapped checkpoint file changed in place after the load (here grown by a byte; truncated, reads past its end
     * fault or end the JVM with SIGBUS) is named by the next call instead of read; the Blt still closes.
     */
    @Test
    void aModelFileChangedInPlaceIsNamedByTheNextCall(@TempDir Path tmp) throws Exception {
        Path b = tmp.resolve("blt"), e = tmp.resolve("entropy");
        for (Path[] d : new Path[][] {{bltDir, b}, {emDir, e}}) {
            Files.createDirectories(d[1]);
            for (String f : List.of("config.json", "model.safetensors")) Files.copy(d[0].resolve(f), d[1].resolve(f));
        }
        try (Blt copy = Blt.load(b, e, T)) {
            GenerateOptions greedy = GenerateOptions.greedy().withMaxBytes(4);
            assertEquals(blt.generate("ab", greedy), copy.generate("ab", greedy));
            Files.write(b.resolve("model.safetensors"), new byte[] {0}, java.nio.file.StandardOpenOption.APPEND);
            for (org.junit.jupiter.api.function.Executable call : List.<org.junit.jupiter.api.function.Executable>of(
                    () -> copy.generate("ab", greedy), () -> copy.patch("ab"), () -> copy.bitsPerByte("ab"))) {
                Blt4jException x = assertThrows(Blt4jException.class, call);
                assertTrue(x.getMessage().startsWith(b.resolve("model.safetensors") + " was changed in place"), x.getMessage());
            }
        }
    }

    @Test
    void bitsPerByteIsTheForwardCommands() {
        double bpb = blt.bitsPerByte(TEXT);
        assertTrue(Double.isFinite(bpb) && bpb > 0, "bpb " + bpb);
        // what ForwardCommand computes: whole-row entropies, lengths with include_next_token, log-softmax per byte
        ByteLatentTransformer m = ModelLoader.blt(bltDir, true);
        int[] ids = ByteTokenizer.encode(TEXT.getBytes(StandardCharsets.UTF_8), true, false);
        int[] lengths = PatcherArgs.entropy(T).build().patchLengths(ids, ModelLoader.entropyModel(emDir).entropies(ids), true);
        float[] logits = m.forward(ids, lengths);
        int V = m.args().vocabSize();
        double nats = 0;
        for (int i = 0; i + 1 < ids.length; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int v = 0; v < V; v++) max = Math.max(max, logits[i * V + v]);
            for (int v = 0; v < V; v++) sum += Math.exp(logits[i * V + v] - max);
            nats -= logits[i * V + ids[i + 1]] - max - Math.log(sum);
        }
        assertEquals(nats / Math.log(2) / (ids.length - 1), bpb, 1e-6);
        assertTrue(Math.abs(blt.bitsPerByte("Hello") - bpb) > 1e-6, "depends on the text");
    }

    /** A Hugging Face folder that stores its patcher is a whole model: Blt.load(folder) patches with that patcher. */
    @Test
    void hfFolderWithItsPatcherLoadsAlone(@TempDir Path tmp) {
        Path hf = tmp.resolve("blt-hf");
        HfLayout.toHf(bltDir, emDir, hf);
        try (Blt hub = Blt.load(bltDir, emDir); Blt alone = Blt.load(hf)) {
            assertEquals(hub.patch(TEXT), alone.patch(TEXT));
            assertEquals(hub.generate("The ", GenerateOptions.greedy().withMaxBytes(12)),
                    alone.generate("The ", GenerateOptions.greedy().withMaxBytes(12)));
        }
        Path bare = tmp.resolve("bare").resolve("blt-hf");                // no patcher, nothing beside it
        HfLayout.toHf(bltDir, null, bare);
        Blt4jException e = assertThrows(Blt4jException.class, () -> Blt.load(bare));
        assertTrue(e.getMessage().startsWith("no entropy model found for " + bare + " (it is not a Hugging Face folder with a patcher"),
                e.getMessage());
    }

    @Test
    void badInputGetsOneClearError(@TempDir Path tmp) throws Exception {
        Path missing = tmp.resolve("nope");
        assertMessage("model folder " + missing + " does not exist", () -> Blt.load(missing, emDir));
        assertMessage("entropy model folder " + missing + " does not exist", () -> Blt.load(bltDir, missing));
        Path lone = Files.createDirectories(tmp.resolve("runs").resolve("blt"));
        Blt4jException e = assertThrows(Blt4jException.class, () -> Blt.load(lone));   // an empty folder: not a model
        assertTrue(e.getMessage().startsWith(lone + " is not a model folder"), e.getMessage());
        Path copy = Files.createDirectories(tmp.resolve("alone").resolve("blt"));        // a BLT with no entropy model near
        for (String f : new String[] {"config.json", "model.safetensors"}) Files.copy(bltDir.resolve(f), copy.resolve(f));
        e = assertThrows(Blt4jException.class, () -> Blt.load(copy));
        assertTrue(e.getMessage().startsWith("no entropy model found for " + copy), e.getMessage());
        assertMessage("maxBytes must be >= 1, got 0", () -> GenerateOptions.greedy().withMaxBytes(0));
        assertMessage("temperature must be a finite number >= 0, got NaN", () -> GenerateOptions.defaults().withTemperature(Double.NaN));
        assertMessage("topP must be in (0, 1], got 0.0", () -> GenerateOptions.defaults().withTopP(0));
        assertMessage("stop strings must not be null or empty", () -> GenerateOptions.defaults().withStops(""));
        assertMessage("the text is empty: give at least one byte", () -> blt.bitsPerByte(""));
        assertMessage("the prompt must not be null", () -> blt.generate(null, GenerateOptions.greedy()));
        Blt closed = Blt.load(bltDir, emDir);
        closed.close();
        assertMessage("this Blt is closed", () -> closed.patch("x"));
        // found by a hostile probe: null like any other bad folder, a file named as a folder, half a character as a stop
        assertMessage("the model folder must not be null", () -> Blt.load((Path) null));
        Path config = bltDir.resolve("config.json");
        assertMessage("model folder " + config + " is a file: pass the folder that holds it", () -> Blt.load(config, emDir));
        Blt4jException half = assertThrows(Blt4jException.class, () -> GenerateOptions.defaults().withStops("ok", "\udcac"));
        assertTrue(half.getMessage().startsWith("stop string 2 holds a lone UTF-16 surrogate \\udcac"), half.getMessage());
        GenerateOptions.defaults().withStops("\ud903\udcac");   // a whole pair is a character
    }

    /** A bad threshold after both models were mapped leaves no mapping behind (found by a hostile probe). */
    @Test
    void aFailedLoadReleasesItsMappings() throws Exception {
        long before = mappings();
        for (int i = 0; i < 20; i++) assertThrows(Blt4jException.class, () -> Blt.load(bltDir, emDir, Double.NaN));
        assertTrue(mappings() <= before, "mappings " + before + " -> " + mappings());
    }

    /** Lines of /proc/self/maps that map this test's checkpoints (0 off Linux). */
    private static long mappings() throws Exception {
        Path maps = Path.of("/proc/self/maps");
        if (!Files.isReadable(maps)) return 0;
        try (var lines = Files.lines(maps)) {
            return lines.filter(l -> l.contains(bltDir.toAbsolutePath().toString()) || l.contains(emDir.toAbsolutePath().toString())).count();
        }
    }

    @Test
    void patchesOfTheSameTextAreEqual() {
        assertEquals(blt.patch(TEXT), blt.patch(TEXT));
        assertEquals(blt.patch(TEXT).hashCode(), blt.patch(TEXT).hashCode());
        assertTrue(!blt.patch(TEXT).equals(blt.patch("Hello")));
    }

    @Test
    void loadFindsTheEntropyModelBeside(@TempDir Path tmp) throws Exception {
        Path run = Files.createDirectories(tmp.resolve("run"));
        copy(bltDir, run.resolve("blt"));
        copy(emDir, run.resolve("entropy"));
        try (Blt found = Blt.load(run.resolve("blt"))) {
            // the BLT config's own threshold (1.335...) differs from T: compare with a Blt loaded the same way
            try (Blt explicit = Blt.load(bltDir, emDir)) {
                assertArrayEquals(explicit.patch(TEXT).lengths(), found.patch(TEXT).lengths());
            }
        }
    }

    private static void copy(Path from, Path to) throws Exception {
        Files.createDirectories(to);
        try (var s = Files.list(from)) {
            for (Path f : s.toList()) Files.copy(f, to.resolve(f.getFileName()));
        }
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        Blt4jException e = assertThrows(Blt4jException.class, call);
        assertEquals(expected, e.getMessage());
    }
}
