package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configs too large for the heap, and passes too long for one array, are refused with their size, not an OOM. */
class HeapBudgetTest {
    static Path withLayers(Path tmp, String nLayers) throws IOException {
        Path src = GoldenCases.root().resolve("entropy_model_forward"), dir = Files.createDirectories(tmp.resolve("em"));
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        String cfg = Files.readString(src.resolve("config.json")).replace("\"n_layers\": 2", "\"n_layers\": " + nLayers);
        assertTrue(cfg.contains("\"n_layers\": " + nLayers));
        Files.writeString(dir.resolve("config.json"), cfg);
        return dir;
    }

    @Test
    void aBillionLayersAreRefusedAtOnceNamingTheSize(@TempDir Path tmp) throws IOException {
        Path dir = withLayers(tmp, "2147483647");
        Blt4jException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(dir)));
        assertTrue(e.getMessage().contains("2147483647 layers") && e.getMessage().contains(" GB"), e.getMessage());
    }

    @Test
    void aStackOverTheHeapNamesParametersAndHeap(@TempDir Path tmp) throws IOException {
        long heap = Runtime.getRuntime().maxMemory();
        int perLayer = 4 * 64 * 64 + 3 * 64 * 192 + 2 * 64;          // the golden model's block
        long layers = heap / 4 / perLayer + 1;                         // one layer more than the heap holds
        Path dir = withLayers(tmp, Long.toString(layers));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(dir));
        assertTrue(e.getMessage().contains("Runtime.maxMemory") && e.getMessage().contains(" GB"), e.getMessage());
    }

    @Test
    void aPassTooLongForOneArrayIsRefusedNotNegativeArraySize() {
        EntropyModel em = ModelLoader.entropyModel(GoldenCases.root().resolve("entropy_model_forward"));
        int[] ids = new int[9_000_000];                                // 9 M × 260 logits > 2^31
        java.util.Arrays.fill(ids, 100);
        Blt4jException e = assertThrows(Blt4jException.class, () -> em.entropies(ids));
        assertTrue(e.getMessage().contains("ChunkedEntropies"), e.getMessage());
    }

    /** A short text's entropy batch holds its own rows, not the default batch's (16384 rows, 64 MB, for a 5 KB text). */
    @Test
    void aShortTextsBatchIsSizedToIt() {
        EntropyModel em = ModelLoader.entropyModel(GoldenCases.root().resolve("entropy_model_forward"));
        EntropyBatch batch = new EntropyBatch(em, EntropyBatch.defaultRows(em.args()));
        int[] ids = new int[300];
        java.util.Arrays.fill(ids, 100);
        float[] out = new float[ids.length];
        batch.run(java.util.List.of(new EntropyBatch.Window(ids, 0, 0, 0, ids.length, 0, out, 0)), done -> {});
        assertTrue(batch.capacity() == ids.length, "rows allocated: " + batch.capacity());
        assertTrue(EntropyBatch.defaultRows(em.args()) > 10 * ids.length);
    }

    /** blt-7b's global stack (32 layers of dim 4096) is more than 2^31 parameters: fine when mapped, so the specs are built. */
    @Test
    void aStackPastOneArrayStillHasItsSpecsForMappedWeights() {
        var d = new org.blt4j.nn.TransformerBlock.Dims(4096, 32, 32, 128, 11008, 5e5, 1e-5);
        assertTrue(org.blt4j.nn.TransformerBlock.stackSpecs("global_transformer.", 32, d).size() == 32 * 9);
    }
}
