package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hadoop store (through file:, as HDFS or S3 would be): atomic writes, and deletes that take killed writers' temporaries. */
class HadoopRunStoreTest {
    @TempDir
    Path tmp;

    @Test
    void deleteRemovesTheTemporariesOfKilledWritersOfThatNameOnly() throws Exception {
        HadoopRunStore store = new HadoopRunStore(tmp.toUri().toString());
        byte[] state = {1, 2, 3};
        store.write("workers/w0/round-0.bin", state);
        assertArrayEquals(state, store.read("workers/w0/round-0.bin"));
        Path w0 = tmp.resolve("workers/w0");
        Path killed = Files.write(w0.resolve(".round-0.bin.tmp-" + java.util.UUID.randomUUID()), new byte[1000]);
        Path otherName = Files.write(w0.resolve(".round-1.bin.tmp-" + java.util.UUID.randomUUID()), new byte[10]);
        store.delete("workers/w0/round-0.bin");
        assertNull(store.read("workers/w0/round-0.bin"));
        assertTrue(!Files.exists(killed), "a killed executor's temporary of the deleted state is left");
        assertTrue(Files.exists(otherName));
        store.delete("workers/w0/round-0.bin");          // absent: fine
        store.delete("workers/w9/round-0.bin");          // no folder: fine
    }
}
