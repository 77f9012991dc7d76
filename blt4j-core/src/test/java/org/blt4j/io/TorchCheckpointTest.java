package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
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

    /** SETITEMS keeps the file's order and, like Python, lets a later duplicate key win (razorvine's went through a HashMap). */
    @Test
    void setItemsKeepsFileOrderAndLaterDuplicateWins() throws IOException {
        Path f = fixtures().resolve("blt-fp32/entropy_model/consolidated.pth");
        try (TorchCheckpoint ck = TorchCheckpoint.open(f)) {
            assertEquals("layers.0.attention.wq.weight", ck.stateDict("model").keySet().iterator().next());
        }
        // {"b": 1, "a": 2, "b": 3} in one SETITEMS
        Object root = new TorchPickle("x").load(new ByteArrayInputStream(
                concat(bytes("\u0080\u0002}("), str("b"), bytes("K\u0001"), str("a"), bytes("K\u0002"), str("b"), bytes("K\u0003u."))));
        assertEquals(java.util.List.of("b", "a"), java.util.List.copyOf(((Map<?, ?>) root).keySet()));
        assertEquals(3, ((Map<?, ?>) root).get("b"));
    }

    /**
     * A 200-byte pickle whose dict key is L60 with Lk = [Lk-1, Lk-1] (memo gets: a DAG of 61 lists) made
     * ArrayList.hashCode walk 2^60 nodes; a key 200,000 lists deep overflowed the stack. Keys must be str/int/flat tuples.
     */
    @Test
    void containerDictKeysAreRefusedBeforeHashing() throws IOException {
        ByteArrayOutputStream dag = new ByteArrayOutputStream();
        dag.writeBytes(bytes("\u0080\u0002}q\u0000]q\u00010"));                    // {} memo 0, L0 = [] memo 1
        for (int k = 1; k <= 60; k++)                                                     // Lk = [Lk-1, Lk-1] memo k+1
            dag.writeBytes(bytes("(h" + (char) k + "h" + (char) k + "lq" + (char) (k + 1) + "0"));
        dag.writeBytes(bytes("h" + (char) 61 + "K\u0001s."));                          // {L60: 1}
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(dag.toByteArray(), "dict key that is a list"));

        int depth = 200_000;
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(
                concat(bytes("\u0080\u0002}q\u0000"), bytes("(".repeat(depth) + "]" + "l".repeat(depth) + "K\u0001s.")),
                "dict key that is a list"));
        // the same through DICT, SETITEMS, OrderedDict(pairs) and a set's elements
        assertRefused(bytes("\u0080\u0002(]K\u0001d."), "dict key that is a list");
        assertRefused(bytes("\u0080\u0002}(}K\u0001u."), "dict key that is a dict");
        assertRefused(bytes("\u0080\u0002ccollections\nOrderedDict\n](]K\u0001ta\u0085R."), "dict key that is a list");
        assertRefused(bytes("\u0080\u0004\u008f(]\u0090."), "set element that is a list");
        assertRefused(bytes("\u0080\u0004(]\u0091."), "set element that is a list");
        // a nested tuple key is refused; str, int and flat tuples of them are fine
        assertRefused(concat(bytes("\u0080\u0002}"), str("a"), bytes("\u0085\u0085K\u0001s.")), "dict key that is a nested tuple");
        Object ok = new TorchPickle("x").load(new ByteArrayInputStream(
                concat(bytes("\u0080\u0002}("), str("a"), bytes("K\u0001K\u0001K\u0002"), str("b"), bytes("K\u0003\u0086K\u0004u."))));
        assertEquals(3, ((Map<?, ?>) ok).size());
    }

    /** A persistent id that is a DAG of tuples (2^40 leaves) or 200,000 tuples deep: described within a budget, refused. */
    @Test
    void hostilePersistentIdsAreDescribedWithinABudget() throws IOException {
        ByteArrayOutputStream dag = new ByteArrayOutputStream();
        dag.writeBytes(bytes("\u0080\u0002)q\u00010"));
        for (int k = 1; k <= 40; k++) dag.writeBytes(bytes("(h" + (char) k + "h" + (char) k + "tq" + (char) (k + 1) + "0"));
        dag.writeBytes(bytes("h" + (char) 41 + "Q."));
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(dag.toByteArray(), "persistent id"));
        int depth = 200_000;
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> assertRefused(
                bytes("\u0080\u0002" + "(".repeat(depth) + ")" + "t".repeat(depth) + "Q."), "persistent id"));
    }

    /**
     * Offsets, sizes and numels that overflow a long (or are BigIntegers that longValue() truncated) are refused
     * when the pickle is read, as torch refuses them ("Storage size calculation overflowed").
     */
    @Test
    void overflowingOffsetsAndNumelsAreRefused() throws IOException {
        byte[] k4 = bytes("K\u0004"), k0 = bytes("K\u0000"), size4 = bytes("K\u0004\u0085"), stride1 = bytes("K\u0001\u0085");
        Path good = tensorZip(tensorPickle(k4, k0, size4, stride1), 4, false);
        try (TorchCheckpoint ck = TorchCheckpoint.open(good)) {
            assertArrayEquals(new float[] {1, 2, 3, 4}, ck.readFloats(ck.stateDict("model").get("w")));
        }
        BigInteger two = BigInteger.TWO;
        Object[][] cases = {
                {tensorPickle(k4, long1(two.pow(63).subtract(BigInteger.ONE)), size4, stride1), "offset"},  // off + 4 wraps
                {tensorPickle(k4, long1(two.pow(64)), size4, stride1), "offset"},                            // longValue() 0
                {tensorPickle(long1(two.pow(64).add(BigInteger.valueOf(4096))), k0, size4, stride1), "storage 0 of 18446744073709555712 elements is too large"},
                {tensorPickle(long1(two.pow(62)), k0, size4, stride1), "storage 0 of 4611686018427387904 elements is too large"},
                {tensorPickle(k4, k0, concat(long1(two.pow(32)), long1(two.pow(32)), bytes("\u0086")),
                        concat(long1(two.pow(32)), bytes("K\u0001\u0086"))), "too large"},                    // 2^64 elements
                {tensorPickle(k4, long1(BigInteger.valueOf(-1)), size4, stride1), "offset"},
        };
        for (Object[] c : cases) {
            Path f = tensorZip((byte[]) c[0], 4, false);
            Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(f).close());
            assertTrue(e.getMessage().contains((String) c[1]) && e.getMessage().contains(f.toString()), e.getMessage());
        }
        // a storage of 2^31 elements opens (its entry is not read), but is not read into one float[]
        byte[] big = long1(two.pow(31));
        Path f = tensorZip(tensorPickle(big, k0, concat(big, bytes("\u0085")), stride1), 4, false);
        try (TorchCheckpoint ck = TorchCheckpoint.open(f)) {
            TorchCheckpoint.Tensor t = ck.stateDict("model").get("w");
            Blt4jException e = assertThrows(Blt4jException.class, () -> ck.readFloats(t));
            assertTrue(e.getMessage().contains("2147483648 elements") && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    /** torch.save stores its entries; a deflated storage re-inflated everything before each chunk (quadratic): refused. */
    @Test
    void compressedStoragesAreRefused() throws IOException {
        Path f = tensorZip(tensorPickle(bytes("K\u0004"), bytes("K\u0000"), bytes("K\u0004\u0085"), bytes("K\u0001\u0085")), 4, true);
        try (TorchCheckpoint ck = TorchCheckpoint.open(f)) {                          // data.pkl may be deflated
            TorchCheckpoint.Tensor t = ck.stateDict("model").get("w");
            Blt4jException e = assertThrows(Blt4jException.class, () -> ck.readFloats(t));
            assertTrue(e.getMessage().contains("archive/data/0") && e.getMessage().contains("compressed")
                    && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    /** Two entries of one name: java.util.zip and torch would read different ones. */
    @Test
    void duplicateEntryNamesAreRefused() throws IOException {
        byte[] pkl = tensorPickle(bytes("K\u0004"), bytes("K\u0000"), bytes("K\u0004\u0085"), bytes("K\u0001\u0085"));
        Path f = tmp.resolve("dup.pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            putStored(z, "archive/data.pkl", pkl);
            putStored(z, "archive/data/Z", new byte[16]);                             // renamed to data/0 below
            putStored(z, "archive/data/0", floats(4));
        }
        byte[] all = Files.readAllBytes(f);
        String latin = new String(all, StandardCharsets.ISO_8859_1).replace("archive/data/Z", "archive/data/0");
        Files.write(f, bytes(latin));
        Blt4jException e = assertThrows(Blt4jException.class, () -> TorchCheckpoint.open(f).close());
        assertTrue(e.getMessage().contains("archive/data/0") && e.getMessage().contains("twice")
                && e.getMessage().contains(f.toString()), e.getMessage());
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

    /** A copy of the zip {@code src} with each entry passed through {@code edit} (null drops it), stored as torch.save does. */
    private Path rezip(Path src, String name, Edit edit) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        try (ZipFile z = new ZipFile(src.toFile())) {
            for (ZipEntry e : Collections.list(z.entries())) entries.put(e.getName(), z.getInputStream(e).readAllBytes());
        }
        Path out = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(out); ZipOutputStream z = new ZipOutputStream(os)) {
            for (var e : entries.entrySet()) {
                byte[] d = edit.apply(e.getKey(), e.getValue());
                if (d != null) putStored(z, e.getKey(), d);
            }
        }
        return out;
    }

    /**
     * {"model": {"w": _rebuild_tensor_v2(persid('storage', FloatStorage, '0', 'cpu', NUMEL), OFF, SIZE, STRIDE, False,
     * OrderedDict())}}; each argument is the opcodes that push it (SIZE and STRIDE: a tuple).
     */
    private static byte[] tensorPickle(byte[] numel, byte[] off, byte[] size, byte[] stride) {
        return concat(bytes("\u0080\u0002}"), str("model"), bytes("}"), str("w"), bytes("ctorch._utils\n_rebuild_tensor_v2\n(("),
                str("storage"), bytes("ctorch\nFloatStorage\n"), str("0"), str("cpu"), numel, bytes("tQ"), off, size, stride,
                bytes("\u0089ccollections\nOrderedDict\n)RtRss."));
    }

    /** A torch.save-like zip: archive/data.pkl and archive/data/0 = 1, 2, ..., n as fp32; stored, or both deflated. */
    private Path tensorZip(byte[] pkl, int n, boolean deflate) throws IOException {
        Path f = tmp.resolve("t" + System.nanoTime() + ".pth");
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            for (var e : Map.of("archive/data.pkl", pkl, "archive/data/0", floats(n)).entrySet())
                if (deflate) {
                    z.putNextEntry(new ZipEntry(e.getKey()));
                    z.write(e.getValue());
                    z.closeEntry();
                } else {
                    putStored(z, e.getKey(), e.getValue());
                }
        }
        return f;
    }

    private static byte[] floats(int n) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * n).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 1; i <= n; i++) b.putFloat(i);
        return b.array();
    }

    /** An uncompressed entry, as torch.save writes them. */
    private static void putStored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }

    /** LONG1 v (little-endian two's complement). */
    private static byte[] long1(BigInteger v) {
        byte[] be = v.toByteArray();
        byte[] out = new byte[be.length + 2];
        out[0] = (byte) 0x8a;
        out[1] = (byte) be.length;
        for (int i = 0; i < be.length; i++) out[2 + i] = be[be.length - 1 - i];
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
