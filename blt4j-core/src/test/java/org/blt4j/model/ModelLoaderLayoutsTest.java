package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.ReferenceFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the commands read before loading (ModelLoader.args, isBlt, verify) and the entropy model of an HF folder (its
 * patcher) work in every layout: hub, Hugging Face and the reference trainer's.
 */
class ModelLoaderLayoutsTest {
    @TempDir
    Path tmp;

    @Test
    void hfFolderGivesTheHubArgsAndItsPatcherIsTheEntropyModel() {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        Path em = HfLayoutTest.entropyOf(c), hf = tmp.resolve("hf");
        HfLayout.toHf(c.dir(), em, hf);
        assertTrue(ModelLoader.isBlt(hf));
        assertEquals(Checkpoint.readArgs(c.dir(), BltArgs.class), ModelLoader.args(hf, BltArgs.class));
        EntropyModel want = ModelLoader.entropyModel(em), got = ModelLoader.entropyModel(hf);
        assertEquals(want.args(), got.args());
        assertArrayEquals(want.params().data(), got.params().data());
        assertTrue(ModelLoader.verify(hf).contains("Hugging Face layout"), ModelLoader.verify(hf));

        Path noPatcher = tmp.resolve("hf-alone");
        HfLayout.toHf(c.dir(), null, noPatcher);
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelLoader.entropyModel(noPatcher));
        assertTrue(e.getMessage().contains("patcher_config") && e.getMessage().contains(noPatcher.resolve("config.json").toString()),
                e.getMessage());
    }

    @Test
    void referenceFoldersGiveTheirArgs() {
        Path blt = ReferenceFixtures.root().resolve("blt-fp32"), em = blt.resolve(ReferenceLayout.ENTROPY_DIR);
        assertTrue(ModelLoader.isBlt(blt));
        assertFalse(ModelLoader.isBlt(em));
        assertEquals(ReferenceLayout.ENTROPY_WINDOW, ModelLoader.args(em, LmArgs.class).slidingWindow());
        assertEquals(ModelLoader.blt(blt, true).args(), ModelLoader.args(blt, BltArgs.class));
    }

    @Test
    void hubFoldersAreReadAsBefore() throws Exception {
        GoldenCases.Case c = GoldenCases.ofKind("blt").getFirst();
        assertEquals(Checkpoint.rawArgs(c.dir()), ModelLoader.args(c.dir()));
        Path neither = Files.createDirectory(tmp.resolve("neither"));
        assertThrows(Blt4jException.class, () -> ModelLoader.args(neither));
    }
}
