package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.nio.file.Files;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.EntropyStream;
import org.blt4j.model.ModelLoader;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

/** The streaming patch path gives exactly what the in-memory path gives, whatever the chunking. */
class TextPatcherTest {
    private static final EntropyModel MODEL = ModelLoader.entropyModel(GoldenCases.root().resolve("entropy_model_forward"));

    /** Every mode the CLI offers, with and without max_patch_length. */
    static List<PatcherArgs> modes() {
        List<PatcherArgs> base = List.of(PatcherArgs.entropy(1.9), PatcherArgs.entropy(2.3),
                PatcherArgs.of("entropy", 0.2, null, true, null, 4.5),     // monotonic
                PatcherArgs.of("entropy", 1.8, 0.05, false, null, 4.5),    // threshold_add
                PatcherArgs.topK(4.5), PatcherArgs.fixed(3), PatcherArgs.ofMode(PatchingMode.BYTE),
                PatcherArgs.ofMode(PatchingMode.SPACE));   // bpe: refused on text (no delimiters), below
        List<PatcherArgs> out = new ArrayList<>();
        for (PatcherArgs a : base) {
            out.add(a);
            out.add(a.withMaxPatchLength(3));
        }
        return out;
    }

    record Streamed(long[] lengths, float[] entropies, boolean[] starts, long positions) {}

    static Streamed stream(byte[] text, Patcher p, Chunking chunking) {
        List<Long> lengths = new ArrayList<>();
        float[] h = new float[text.length + 1];
        boolean[] starts = new boolean[text.length + 1];
        int[] expectQ = {0};
        long n = TextPatcher.stream(new ByteArrayInputStream(text), p, MODEL, chunking, 1 << 20, new TextPatcher.Listener() {
            public void position(long q, int id, float e, boolean s) {
                assertEquals(expectQ[0]++, q, "positions in order");
                assertEquals(q == 0 ? ByteTokenizer.BOS_ID : ByteTokenizer.idOf(text[(int) q - 1]), id);
                h[(int) q] = e;
                starts[(int) q] = s;
            }

            public void patch(long length) {
                lengths.add(length);
            }
        }, read -> {});
        return new Streamed(lengths.stream().mapToLong(Long::longValue).toArray(), h, starts, n);
    }

    static void assertSame(byte[] text, PatcherArgs args, Chunking chunking) {
        Patcher p = args.build();
        int[] ids = ByteTokenizer.encode(text, true, false);
        TextPatcher.Result want = TextPatcher.inMemory(ids, p, MODEL, chunking);
        Streamed got = stream(text, p, chunking);
        String what = args + " chunks " + chunking.chunkTokens() + " threads " + chunking.threads() + " text of " + text.length;
        assertEquals(ids.length, got.positions(), what);
        assertArrayEquals(Arrays.stream(want.lengths()).asLongStream().toArray(), got.lengths(), what);
        if (want.entropies() != null) assertArrayEquals(want.entropies(), got.entropies(), what);
        int[] starts = PatchLengths.starts(want.lengths());
        boolean[] wantStarts = new boolean[ids.length];
        for (int s : starts) wantStarts[s] = true;
        assertArrayEquals(wantStarts, got.starts(), what);
    }

    static byte[] sotu(int bytes) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            return in.readNBytes(bytes);
        }
    }

    @Test
    void everyModeOnSeveralTextsAndChunkings() throws IOException {
        Chunking exact = Chunking.exact(MODEL.args(), 2);
        List<byte[]> texts = List.of("The quick brown fox jumps over the lazy dog.".getBytes(StandardCharsets.UTF_8),
                "Grüße, naïve café — ½ ∑ 日本語 text; a_b c-d\n\n\tend".getBytes(StandardCharsets.UTF_8),
                sotu(3000), new byte[] {});
        for (byte[] text : texts)
            for (PatcherArgs a : modes())
                for (Chunking c : List.of(exact, exact.with(100, exact.warmup()), new Chunking(37, exact.warmup(), 50, 3)))
                    assertSame(text, a, c);
        // bpe patching needs delimiters that text encoded as bytes lacks: both paths refuse it (it was one patch)
        byte[] text = texts.get(0);
        Patcher bpe = PatcherArgs.ofMode(PatchingMode.BPE).build();
        assertThrows(org.blt4j.Blt4jException.class, () -> TextPatcher.inMemory(ByteTokenizer.encode(text, true, false), bpe, MODEL, exact));
        assertThrows(org.blt4j.Blt4jException.class, () -> stream(text, bpe, exact));
    }

    @Test
    void chunkBoundariesAtEveryOffsetOfAShortText() {
        byte[] text = "Patches scale better than tokens, said the paper.".getBytes(StandardCharsets.UTF_8);
        Chunking exact = Chunking.exact(MODEL.args(), 2);
        for (int chunk = 1; chunk <= text.length + 2; chunk++)
            for (PatcherArgs a : List.of(PatcherArgs.entropy(1.9), PatcherArgs.entropy(1.9).withMaxPatchLength(2),
                    PatcherArgs.of("entropy", 1.8, 0.05, false, null, 4.5)))
                assertSame(text, a, exact.with(chunk, exact.warmup()));
    }

    @Test
    void theStreamEqualsOneLongPassUpToChunkRounding() {
        byte[] text = "Patches scale better than tokens, said the paper, and the byte latent transformer".getBytes(StandardCharsets.UTF_8);
        float[] full = MODEL.entropies(ByteTokenizer.encode(text, true, false));
        Chunking exact = Chunking.exact(MODEL.args(), 2);
        // one chunk: the batched pass (its own attention blocks, the tiled GEMM for any size) differs by rounding only
        assertArrayEquals(full, stream(text, PatcherArgs.entropy(1.9).build(), exact).entropies(), 2e-5f);
        assertArrayEquals(full, stream(text, PatcherArgs.entropy(1.9).build(), exact.with(9, exact.warmup())).entropies(), 2e-5f);
    }

    @Test
    void memoryStaysBoundedByTheChunksWhateverTheLength() {
        Chunking c = Chunking.exact(MODEL.args(), 2).with(64, 62);
        long[] seen = {0};
        try (EntropyStream s = new EntropyStream(MODEL, c, Integer.MAX_VALUE, (first, ids, off, h, len) -> {
            assertEquals(seen[0], first);
            seen[0] += len;
        })) {
            int[] piece = new int[1000];
            Arrays.fill(piece, ByteTokenizer.idOf((byte) 'a'));
            for (int k = 0; k < 200; k++) {
                s.append(piece, 0, piece.length);
                assertTrue(s.bufferedIds() <= s.maxBufferedIds(), "buffered " + s.bufferedIds());
            }
            assertTrue(s.maxBufferedIds() < 50_000, "bound " + s.maxBufferedIds());
            s.finish();
        }
        assertEquals(200_000, seen[0]);
    }

    @Test
    void withoutAWindowDocumentsAreOnePassAndTooLongOnesAreRefused(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path src = GoldenCases.root().resolve("entropy_model_forward"), dir = Files.createDirectories(tmp.resolve("em"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), Files.readString(src.resolve("config.json")).replace("\"sliding_window\": 32", "\"sliding_window\": null"));
        EntropyModel unbounded = ModelLoader.entropyModel(dir);
        assertEquals(Integer.MAX_VALUE, unbounded.args().window());
        byte[] text = "Patches scale better than tokens, said the paper.".getBytes(StandardCharsets.UTF_8);
        int[] ids = ByteTokenizer.encode(text, true, false);
        Chunking c = Chunking.exact(unbounded.args(), 2);
        float[] want = TextPatcher.inMemory(ids, PatcherArgs.entropy(1.9).build(), unbounded, c).entropies();
        List<Float> got = new ArrayList<>();
        try (EntropyStream s = new EntropyStream(unbounded, c, 1000, (first, chunkIds, off, h, len) -> {
            for (int i = 0; i < len; i++) got.add(h[i]);
        })) {
            s.append(ids, 0, ids.length);
            s.finish();
        }
        for (int i = 0; i < ids.length; i++) assertEquals(want[i], got.get(i), "position " + i);
        try (EntropyStream s = new EntropyStream(unbounded, c, 1000, (first, chunkIds, off, h, len) -> {})) {
            Blt4jException e = assertThrows(Blt4jException.class, () -> s.append(new int[1200], 0, 1200));
            assertTrue(e.getMessage().contains("sliding_window") && e.getMessage().contains("1000 bytes"), e.getMessage());
        }
        assertTrue(EntropyStream.maxDocument(unbounded) > 10_000);
    }

    @Test
    void streamsOfSeveralDocumentsGiveChunkedEntropiesExactly() {
        Random rnd = new Random(3);
        int[] ids = new int[700];
        for (int i = 0; i < ids.length; i++) ids[i] = rnd.nextInt(12) == 0 ? ByteTokenizer.EOS_ID : 4 + rnd.nextInt(256);
        ids[0] = ByteTokenizer.BOS_ID;
        Chunking exact = Chunking.exact(MODEL.args(), 2);
        for (Chunking c : List.of(exact.with(50, exact.warmup()), new Chunking(37, exact.warmup(), 60, 3), exact.with(1, exact.warmup()))) {
            float[] want = org.blt4j.model.ChunkedEntropies.compute(MODEL, ids, c, org.blt4j.model.ChunkedEntropies.Progress.NONE);
            float[] got = new float[ids.length];
            try (EntropyStream s = new EntropyStream(MODEL, c, Integer.MAX_VALUE, (first, chunkIds, off, h, len) -> {
                for (int i = 0; i < len; i++) {
                    assertEquals(ids[(int) first + i], chunkIds[off + i]);
                    got[(int) first + i] = h[i];
                }
            })) {
                for (int from = 0; from < ids.length; from += 13) s.append(ids, from, Math.min(13, ids.length - from));
                s.finish();
            }
            assertArrayEquals(want, got, "chunks of " + c.chunkTokens() + ", period " + c.positionPeriod());
        }
    }

    @Test
    void topKBeyondTheInMemoryLimitIsRefusedWithWhatToDo() {
        Blt4jException e = assertThrows(Blt4jException.class, () -> TextPatcher.stream(new ByteArrayInputStream(new byte[5000]),
                PatcherArgs.topK(4.5).build(), MODEL, Chunking.exact(MODEL.args(), 1), 4096, null, r -> {}));
        assertTrue(e.getMessage().contains("--threshold") && e.getMessage().contains("4096"), e.getMessage());
    }
}
