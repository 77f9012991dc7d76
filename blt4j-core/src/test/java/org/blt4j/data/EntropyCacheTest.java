package org.blt4j.data;

import org.blt4j.model.ChunkedEntropies;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.SafeTensors;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Chunked entropies equal full forward passes, on the golden entropy model (2 layers, window 32). */
class EntropyCacheTest {
    static EntropyModel model;
    static GoldenCases.Case golden;
    static List<byte[]> docs;
    static int[] ids;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() {
        golden = GoldenCases.ofKind("entropy_model_forward").get(0);
        model = ModelLoader.entropyModel(golden.dir());
        docs = new ArrayList<>();
        String[] texts = {"The quick brown fox jumps over the lazy dog. ", "Hello there! ", "Four score and seven years ago, ",
                "A", "Byte Latent Transformer: patches scale better than tokens. "};
        for (int d = 0; d < texts.length; d++) docs.add(texts[d].repeat(d == 3 ? 1 : 3).getBytes(StandardCharsets.UTF_8));
        ids = TokenStream.encode(docs);
    }

    /** Each document alone through one forward pass (positions 0..len-1), concatenated. */
    static float[] perDocumentForward() {
        float[] out = new float[ids.length];
        int k = 0;
        for (byte[] d : docs) {
            float[] h = model.entropies(TokenStream.encode(List.of(d)));
            System.arraycopy(h, 0, out, k, h.length);
            k += h.length;
        }
        return out;
    }

    @Test
    void chunksWithTheFullReceptiveFieldEqualFullForwardPasses() {
        Chunking exact = Chunking.exact(model.args(), 2);
        assertEquals(2 * 31, exact.warmup());                    // n_layers · (window - 1)
        float[] full = perDocumentForward();
        for (int chunk : new int[] {7, 20, 64, 1000}) {
            float[] got = ChunkedEntropies.compute(model, ids, exact.with(chunk, exact.warmup()), ChunkedEntropies.Progress.NONE);
            // equal up to float rounding: GEMMs over different row counts take different (exact, but
            // differently ordered) kernels; missing context would change entropies by far more (see below)
            assertArrayEquals(full, got, 2e-5f, "chunks of " + chunk);
        }
    }

    @Test
    void aWarmupOfOneWindowIsNotEnoughForTwoLayers() {
        Chunking oneWindow = Chunking.exact(model.args(), 1).with(20, 32);
        float[] got = ChunkedEntropies.compute(model, ids, oneWindow, ChunkedEntropies.Progress.NONE);
        float[] full = perDocumentForward();
        int differ = 0;
        for (int i = 0; i < ids.length; i++) if (Math.abs(got[i] - full[i]) > 1e-3) differ++;
        assertTrue(differ > 0, "expected some positions to lack context");
    }

    @Test
    void positionsRestartingInLongDocumentsChangeOnlyRounding() {
        Chunking c = Chunking.exact(model.args(), 2);
        Chunking shortPeriod = new Chunking(20, c.warmup(), 50, 2);
        float[] got = ChunkedEntropies.compute(model, ids, shortPeriod, ChunkedEntropies.Progress.NONE);
        float[] full = perDocumentForward();
        for (int i = 0; i < ids.length; i++) assertEquals(full[i], got[i], 1e-4, "position " + i);
    }

    @Test
    void matchesTheGoldenEntropies() throws Exception {
        int[][] rows = GoldenCases.ints2(golden.json().get("tokens"));
        double atol = golden.json().path("atol_entropy").asDouble(1e-4);
        try (SafeTensors exp = SafeTensors.open(golden.dir().resolve("expected.safetensors"))) {
            float[] expected = exp.floats("entropies");
            for (int b = 0; b < rows.length; b++) {
                float[] got = ChunkedEntropies.compute(model, rows[b], Chunking.exact(model.args(), 2).with(16, 62),
                        ChunkedEntropies.Progress.NONE);
                for (int i = 0; i < got.length; i++)
                    assertEquals(expected[b * rows[b].length + i], got[i], atol, "row " + b + " position " + i);
            }
        }
    }

    @Test
    void secondRunLoadsTheCacheInsteadOfComputing() throws Exception {
        Path data = dir.resolve("corpus.txt");
        Files.writeString(data, "stand-in for the corpus the stream came from");
        Chunking c = Chunking.exact(model.args(), 2).with(32, 62);
        AtomicInteger updates = new AtomicInteger();
        long[] last = {0, 0};
        List<String> log = new ArrayList<>();
        EntropyCache.Result first = EntropyCache.entropies(model, ids, data, dir.resolve("cache"), c, (done, total) -> {
            assertTrue(done > last[0], "progress goes forward");
            last[0] = done;
            last[1] = total;
            updates.incrementAndGet();
        }, log::add);
        assertTrue(first.computed());
        assertTrue(updates.get() >= 1);
        assertEquals(ids.length, last[0], "progress ends at every position");
        assertEquals(ids.length, last[1]);
        int updatesFirst = updates.get();
        assertEquals(dir, first.file().getParent());
        assertTrue(first.file().getFileName().toString().matches("corpus\\.txt\\.entropies-[0-9a-f]{16}\\.f32"));
        assertEquals(4L * ids.length, Files.size(first.file()));
        assertTrue(Files.exists(EntropyCache.sidecar(first.file())));

        // a writer killed mid-write left its partial file (a pid that is gone): the next write removes it
        Path dead = first.file().resolveSibling("." + first.file().getFileName() + ".tmp-" + deadPid() + "-0123456789abcdef");
        Files.write(dead, new byte[100]);
        Files.delete(first.file());
        EntropyCache.entropies(model, ids, data, dir.resolve("cache"), c, ChunkedEntropies.Progress.NONE, log::add);
        assertFalse(Files.exists(dead), "a dead writer's partial cache is removed");
        assertTrue(Files.exists(first.file()));

        EntropyCache.Result second = EntropyCache.entropies(model, ids, data, dir.resolve("cache"), c,
                (done, total) -> updates.incrementAndGet(), log::add);
        assertFalse(second.computed());
        assertEquals(updatesFirst, updates.get(), "no computation on the second run");
        assertArrayEquals(first.entropies(), second.entropies());

        int[] other = ids.clone();
        other[5] = other[5] == 100 ? 101 : 100;                  // other data: another key
        EntropyCache.Result third = EntropyCache.entropies(model, other, data, null, c, ChunkedEntropies.Progress.NONE, log::add);
        assertTrue(third.computed());
        assertNotEquals(first.file(), third.file());
    }

    /** A pid no process has now. */
    static long deadPid() {
        for (long pid = 4_000_000; ; pid++) if (ProcessHandle.of(pid).isEmpty()) return pid;
    }

    @Test
    void readOnlyDataFolderFallsBackToTheCacheFolderAndSaysSo() throws Exception {
        Path data = dir.resolve("ro").resolve("corpus.txt.gz");
        Files.createDirectories(data.getParent());
        Chunking c = Chunking.exact(model.args(), 2).with(64, 62);
        List<String> log = new ArrayList<>();
        Path cache = dir.resolve("cache");
        EntropyCache.Result r = EntropyCache.entropies(model, ids, data, cache, c, ChunkedEntropies.Progress.NONE, log::add,
                p -> !p.equals(data.getParent().toAbsolutePath()));
        assertTrue(r.computed());
        assertEquals(cache, r.file().getParent());
        assertTrue(log.stream().anyMatch(l -> l.contains("read-only") && l.contains(cache.toString())), log.toString());
        EntropyCache.Result again = EntropyCache.entropies(model, ids, data, cache, c, ChunkedEntropies.Progress.NONE, log::add,
                p -> false);
        assertFalse(again.computed());
        assertArrayEquals(r.entropies(), again.entropies());
    }

    @Test
    void aDamagedCacheFileIsIgnoredAndRewritten() throws Exception {
        Path data = dir.resolve("corpus.jsonl");
        Chunking c = Chunking.exact(model.args(), 2).with(64, 62);
        List<String> log = new ArrayList<>();
        EntropyCache.Result r = EntropyCache.entropies(model, ids, data, dir, c, ChunkedEntropies.Progress.NONE, log::add);
        Files.write(r.file(), new byte[12]);
        EntropyCache.Result again = EntropyCache.entropies(model, ids, data, dir, c, ChunkedEntropies.Progress.NONE, log::add);
        assertTrue(again.computed());
        assertTrue(log.stream().anyMatch(l -> l.startsWith("ignoring") && l.contains("12 bytes")), log.toString());
        assertArrayEquals(r.entropies(), again.entropies());
        assertEquals(4L * ids.length, Files.size(again.file()));
    }
}
