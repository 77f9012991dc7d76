package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelDirsTest {
    @TempDir
    Path tmp;

    /** Found by a hostile probe: a 300 MB `latest` was read whole (OutOfMemoryError); it is read no further than 64 bytes. */
    @Test
    void anOversizedLatestIsRefusedUnread() throws Exception {
        Path run = Files.createDirectory(tmp.resolve("run"));
        Files.createDirectory(run.resolve("step-000001"));
        Files.writeString(run.resolve("step-000001").resolve(ModelDirs.STATE), "{}");
        Files.writeString(run.resolve(ModelDirs.LATEST), "step-000001\n");
        assertEquals(run.resolve("step-000001"), ModelDirs.resolve(run));
        Files.write(run.resolve(ModelDirs.LATEST), new byte[1 << 20]);
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelDirs.resolve(run));
        assertTrue(e.getMessage().contains("holds more than 64 bytes") && e.getMessage().length() < 400, e.getMessage());
    }

    /** A `latest` that is there but no regular file (a folder, a dangling link) is named as such, not as missing. */
    @Test
    void anIrregularLatestIsNamed() throws Exception {
        Path run = Files.createDirectory(tmp.resolve("run"));
        Files.createDirectory(run.resolve(ModelDirs.LATEST));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelDirs.resolveModel(run));
        assertTrue(e.getMessage().contains(run.resolve(ModelDirs.LATEST) + " exists but is not a regular file (it is a folder)"), e.getMessage());
        Path run2 = Files.createDirectory(tmp.resolve("run2"));
        Files.createSymbolicLink(run2.resolve(ModelDirs.LATEST), run2.resolve("gone"));
        e = assertThrows(Blt4jException.class, () -> ModelDirs.resolveModel(run2));
        assertTrue(e.getMessage().contains("exists but is not a regular file (it is a link to"), e.getMessage());
    }
}
