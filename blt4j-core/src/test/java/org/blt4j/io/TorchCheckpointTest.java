package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The allow-list torch.save reader on the fixtures of scripts/make-pth-fixtures.py and on hand-written pickles. */
class TorchCheckpointTest {
    @TempDir
    Path tmp;

    static Path fixtures() {
        return ReferenceFixtures.root();
    }

    @Test
    void readsTorchWrittenStateDictAndSkipsTheRest() {
        Path f = fixtures().resolve("blt-bf16/entropy_model/consolidated.pth");
        try (TorchCheckpoint ck = TorchCheckpoint.open(f)) {
            Map<String, TorchCheckpoint.Tensor> sd = ck.stateDict("model");
            TorchCheckpoint.Tensor wq = sd.get("layers.0.attention.wq.weight");
            assertEquals(DType.BF16, wq.dtype());
            assertArrayEquals(new long[] {64, 64}, wq.shape());
            assertArrayEquals(new long[] {256, 64}, sd.get("layers.0.feed_forward.w1.weight").shape());
            assertTrue(sd.keySet().stream().allMatch(n -> !n.isEmpty()));
            Blt4jException e = assertThrows(Blt4jException.class, () -> ck.stateDict("optim"));
            assertTrue(e.getMessage().contains("\"optim\" entry"), e.getMessage());   // a dict of lists, not tensors
            e = assertThrows(Blt4jException.class, () -> ck.stateDict("weights"));
            assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("no \"weights\" entry"), e.getMessage());
        }
    }

    @Test
    void maliciousFixturesAreRefusedNamingTheClass() {
        for (String[] c : new String[][] {{"malicious-global", "os.system"}, {"malicious-stack-global", "builtins.eval"}}) {
            Path f = fixtures().resolve(c[0]).resolve("consolidated.pth");
            Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(f));
            assertTrue(e.getMessage().contains("'" + c[1] + "'") && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    /** The refusal comes from the opcode that names the global: a pickle that stops right after it says so, not EOF. */
    @Test
    void refusalHappensAtTheGlobalBeforeAnyCall() throws IOException {
        assertRefused(bytes("\u0080\u0002cposix\nsystem\n"), "'posix.system'");
        assertRefused(concat(bytes("\u0080\u0004"), str("subprocess"), str("Popen"), bytes("\u0093")), "'subprocess.Popen'");
        // a disallowed global after allowed ones, inside an OrderedDict of the state dict
        assertRefused(concat(bytes("\u0080\u0002}"), str("model"), bytes("ccollections\nOrderedDict\n)R"), str("w"),
                bytes("cbuiltins\ngetattr\n")), "'builtins.getattr'");
    }

    @Test
    void objectBuildingOpcodesAreRefused() throws IOException {
        assertRefused(bytes("(ios\nsystem\n."), "object construction");                              // INST
        assertRefused(concat(bytes("\u0080\u0002ccollections\nOrderedDict\n)\u0081.")), "object construction"); // NEWOBJ
        assertRefused(bytes("\u0080\u0002]}b."), "BUILD");                                             // BUILD on a list
        assertRefused(bytes("\u0080\u0002\u0082\u0001."), "EXT");                                      // EXT1
        assertRefused(concat(bytes("\u0080\u0002"), str("x"), bytes("Q.")), "persistent id");          // BINPERSID 'x'
    }

    /** A forged length is an error before razorvine allocates it. */
    @Test
    void forgedLengthsAreRefusedBeforeAllocation() throws IOException {
        assertRefused(bytes("\u0080\u0002X\u00ff\u00ff\u00ff\u007fabc."), "bytes left");                    // BINUNICODE 2 GB
        assertRefused(bytes("\u0080\u0004\u008e\u0000\u0000\u0000\u0000\u0001\u0000\u0000\u0000abc."), "bytes left"); // BINBYTES8 4 GB
    }

    @Test
    void nonContiguousAndUnsupportedDtypeAreRefused() {
        Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(fixtures().resolve("odd/transposed.pth")));
        assertTrue(e.getMessage().contains("not contiguous") && e.getMessage().contains("[3, 2]"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(fixtures().resolve("odd/float64.pth")));
        assertTrue(e.getMessage().contains("torch.DoubleStorage"), e.getMessage());
    }

    @Test
    void truncatedOrCorruptArchivesGiveClearErrors() throws IOException {
        Path src = fixtures().resolve("blt-fp32/entropy_model/consolidated.pth");
        byte[] all = Files.readAllBytes(src);
        Path half = tmp.resolve("half.pth");
        Files.write(half, java.util.Arrays.copyOf(all, all.length / 2));
        Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(half));
        assertTrue(e.getMessage().contains(half.toString()) && e.getMessage().contains("truncated or corrupt"), e.getMessage());

        Path noPkl = rezip(src, "noPkl.pth", (name, data) -> name.endsWith("data.pkl") ? null : data);
        e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(noPkl));
        assertTrue(e.getMessage().contains("no */data.pkl"), e.getMessage());

        Path shortStorage = rezip(src, "short.pth", (name, data) -> name.endsWith("/data/0") ? java.util.Arrays.copyOf(data, 10) : data);
        try (TorchCheckpoint ck = TorchCheckpoint.open(shortStorage)) {
            TorchCheckpoint.Tensor wq = ck.stateDict("model").get("layers.0.attention.wq.weight");
            e = assertThrows(Blt4jException.class, () -> ck.readFloats(wq));
            assertTrue(e.getMessage().contains("data/0") && e.getMessage().contains("holds 10 bytes"), e.getMessage());
        }

        Path badPkl = rezip(src, "bad.pth", (name, data) -> name.endsWith("data.pkl") ? java.util.Arrays.copyOf(data, 40) : data);
        e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(badPkl));
        assertTrue(e.getMessage().contains("not a valid torch checkpoint pickle"), e.getMessage());
    }

    // ---- helpers ----

    private void assertRefused(byte[] pickle, String expect) throws IOException {
        Path f = tmp.resolve("p" + System.nanoTime() + ".pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(pickle);
            z.closeEntry();
        }
        Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(f));
        assertTrue(e.getMessage().contains(expect) && e.getMessage().contains(f.toString()), e.getMessage());
    }

    interface Edit {
        byte[] apply(String name, byte[] data);
    }

    /** A copy of the zip {@code src} with each entry passed through {@code edit} (null drops it). */
    private Path rezip(Path src, String name, Edit edit) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(src.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) entries.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        Path out = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(out); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                byte[] d = edit.apply(e.getKey(), e.getValue());
                if (d == null) continue;
                z.putNextEntry(new ZipEntry(e.getKey()));
                z.write(d);
                z.closeEntry();
            }
        }
        return out;
    }

    private static byte[] bytes(String latin1) {
        return latin1.getBytes(StandardCharsets.ISO_8859_1);
    }

    /** SHORT_BINUNICODE s. */
    private static byte[] str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return concat(new byte[] {(byte) 0x8c, (byte) b.length}, b);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) out.writeBytes(p);
        return out.toByteArray();
    }
}
