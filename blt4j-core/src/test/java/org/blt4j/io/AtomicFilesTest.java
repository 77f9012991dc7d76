package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a writer killed mid-write leaves next to its target is cleaned up by the next writer, and nothing else is. */
class AtomicFilesTest {
    @TempDir
    Path dir;

    /** The pid of a process that has exited (so no process has it, barring reuse in the test's few milliseconds). */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }

    private Path junk(String name) throws Exception {
        return Files.writeString(dir.resolve(name), "partial");
    }

    @Test
    void nextWriteRemovesDeadWritersTempFilesOnly() throws Exception {
        long dead = deadPid(), me = ProcessHandle.current().pid();
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            Path stale = junk(".model.safetensors.tmp-" + dead + "-0123456789abcdef");
            Path mine = junk(".model.safetensors.tmp-" + me + "-0123456789abcdef");
            Path live = junk(".model.safetensors.tmp-" + alive.pid() + "-0123456789abcdef");
            Path otherTarget = junk(".model.safetensors2.tmp-" + dead + "-0123456789abcdef");
            Path unknownForm = junk(".model.safetensors.tmp-0123456789abcdef");
            Path target = dir.resolve("model.safetensors");
            new SafeTensorsWriter(DType.F32).add("a", new float[] {1, 2}, 2).write(target);
            assertFalse(Files.exists(stale), "a dead writer's temp file stays");
            for (Path kept : new Path[] {mine, live, otherTarget, unknownForm})
                assertTrue(Files.exists(kept), kept.getFileName() + " was removed");
            assertTrue(Files.exists(target));
        } finally {
            alive.destroyForcibly();
        }
    }

    @Test
    void swapCutBetweenItsRenamesPutsThePreviousFolderBack() throws Exception {
        Path ck = dir.resolve("ck");
        Checkpoint.write(ck, Map.of("dim", 2), Map.of("w", TensorData.of(new float[] {1, 2}, 2)), DType.F32);
        byte[] weights = Files.readAllBytes(ck.resolve(Checkpoint.WEIGHTS));
        long dead = deadPid();
        // killed after moving the previous checkpoint aside and before renaming the new one in
        Path old = dir.resolve(".ck.old-" + dead + "-00000000000000aa");
        Files.move(ck, old);
        Path stage = Files.createDirectory(dir.resolve(".ck.tmp-" + dead + "-00000000000000bb"));
        junk(".ck.tmp-" + dead + "-00000000000000bb/" + Checkpoint.WEIGHTS);
        AtomicFiles.removeStale(ck);
        assertTrue(Files.isDirectory(ck), "the previous checkpoint is back");
        assertEquals(new String(weights, java.nio.charset.StandardCharsets.ISO_8859_1),
                new String(Files.readAllBytes(ck.resolve(Checkpoint.WEIGHTS)), java.nio.charset.StandardCharsets.ISO_8859_1));
        assertFalse(Files.exists(old));
        assertFalse(Files.exists(stage), "the dead writer's stage stays");
        // killed after the new one was renamed in, before the previous one was deleted: that one goes
        Path old2 = Files.createDirectory(dir.resolve(".ck.old-" + dead + "-00000000000000cc"));
        Checkpoint.write(ck, Map.of("dim", 2), Map.of("w", TensorData.of(new float[] {3, 4}, 2)), DType.F32);
        assertFalse(Files.exists(old2));
        try (var s = Files.list(dir)) {
            assertEquals(java.util.List.of("ck"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void aReaderThatComesFirstPutsTheMovedAsideFolderBackAndDeletesNothing() throws Exception {
        Path ck = dir.resolve("ck");
        Checkpoint.write(ck, Map.of("dim", 2), Map.of("w", TensorData.of(new float[] {1, 2}, 2)), DType.F32);
        long dead = deadPid();
        Path old = dir.resolve(".ck.old-" + dead + "-00000000000000aa");
        Files.move(ck, old);
        Path stage = Files.createDirectory(dir.resolve(".ck.tmp-" + dead + "-00000000000000bb"));
        assertEquals(ck, ModelDirs.resolveModel(ck), "the reader finds the folder");
        assertTrue(Files.isRegularFile(ck.resolve(Checkpoint.WEIGHTS)));
        assertFalse(Files.exists(old));
        assertTrue(Files.exists(stage), "a reader deletes nothing");
        // a live writer's moved-aside folder is its own business: the reader reports the folder missing
        Process alive = new ProcessBuilder("sleep", "60").start();
        try {
            Path live = dir.resolve(".ck.old-" + alive.pid() + "-00000000000000cc");
            Files.move(ck, live);
            var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class, () -> ModelDirs.resolveModel(ck));
            assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
            assertTrue(Files.exists(live));
        } finally {
            alive.destroyForcibly();
        }
    }

    @Test
    void writeNewRefusesAFolderThatAppearedMeanwhileAndKeepsIt() throws Exception {
        Path target = dir.resolve("a/b/q");   // parents are made
        ObjectNode config = org.blt4j.io.Json.MAPPER.createObjectNode();
        config.putObject("args").put("dim", 2);
        SafeTensorsWriter w = new SafeTensorsWriter(DType.F32).add("w", TensorData.lazy((start, dst, off, n) -> {
            try {
                Files.createDirectories(target);                 // someone copies a model there while this one is written
                Files.writeString(target.resolve("mine.txt"), "theirs");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            for (int i = 0; i < n; i++) dst[off + i] = start + i;
        }, 2));
        var e = org.junit.jupiter.api.Assertions.assertThrows(org.blt4j.Blt4jException.class, () -> Checkpoint.writeNew(target, config, w));
        assertTrue(e.getMessage().contains("appeared while it was being written"), e.getMessage());
        assertEquals("theirs", Files.readString(target.resolve("mine.txt")));
        try (var s = Files.list(target.getParent())) {
            assertEquals(java.util.List.of("q"), s.map(p -> p.getFileName().toString()).toList(), "no stage left behind");
        }
        // and a fresh folder, parents included, is written
        Path fresh = dir.resolve("c/d/q");
        Checkpoint.writeNew(fresh, config, new SafeTensorsWriter(DType.F32).add("w", new float[] {1, 2}, 2));
        assertTrue(Files.isRegularFile(fresh.resolve(Checkpoint.WEIGHTS)));
    }
}
