package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.TextPatcher;
import org.blt4j.server.TestModels;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** blt4j patch streams its output, and prints what the in-memory path would print. */
class PatchCommandTest {
    @TempDir
    Path tmp;

    static final Path EM = TestModels.goldenRoot().resolve("entropy_model_forward");

    static GenerateCommandTest.Run patch(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "patch";
        all[1] = "--entropy-model";
        all[2] = EM.toString();
        System.arraycopy(args, 0, all, 3, args.length);
        return GenerateCommandTest.run("", all);
    }

    /** What the in-memory path prints for --json: Jackson's tree of the two arrays. */
    static String expectedJson(byte[] text, PatcherArgs args) throws IOException {
        EntropyModel em = ModelLoader.entropyModel(EM);
        int[] ids = ByteTokenizer.encode(text, true, false);
        TextPatcher.Result r = TextPatcher.inMemory(ids, args.build(), em, Chunking.exact(em.args(), Parallel.poolSize()));
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode();
        out.putPOJO("patch_lengths", r.lengths());
        if (r.entropies() != null) out.putPOJO("entropies", r.entropies());
        return om.writeValueAsString(out) + System.lineSeparator();
    }

    static byte[] sotu(int bytes) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("..", "data", "sotu-sample.txt.gz")))) {
            return in.readNBytes(bytes);
        }
    }

    @Test
    void jsonIsTheInMemoryJsonForFilesAcrossChunksAndGzip() throws IOException {
        byte[] text = sotu(10_000);   // three chunks of 4096
        Path f = Files.write(tmp.resolve("t.txt"), text), gz = tmp.resolve("t.txt.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write(text);
        }
        String want = expectedJson(text, PatcherArgs.entropy(1.9));
        for (Path p : new Path[] {f, gz}) {
            GenerateCommandTest.Run r = patch("--json", "--threshold", "1.9", "--file", p.toString());
            assertEquals(0, r.code(), r.err());
            assertEquals(want, r.out(), p.toString());
        }
        GenerateCommandTest.Run k = patch("--json", "--top-k", "--max-patch-length", "5", "--file", f.toString());
        assertEquals(expectedJson(text, PatcherArgs.topK(4.5).withMaxPatchLength(5)), k.out());
        GenerateCommandTest.Run s = patch("--json", "--mode", "space", "--file", f.toString());
        assertEquals(expectedJson(text, PatcherArgs.ofMode(org.blt4j.patch.PatchingMode.SPACE)), s.out());
    }

    @Test
    void forPeopleIsTheInMemoryPrintout() throws IOException {
        String text = "The quick brown fox jumps over the lazy dog. Grüße, naïve café.";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        EntropyModel em = ModelLoader.entropyModel(EM);
        int[] ids = ByteTokenizer.encode(bytes, true, false);
        TextPatcher.Result r = TextPatcher.inMemory(ids, PatcherArgs.entropy(1.9).build(), em, Chunking.exact(em.args(), 2));
        ByteArrayOutputStream want = new ByteArrayOutputStream();
        PrintStream old = System.out;
        try {
            System.setOut(new PrintStream(want, true, StandardCharsets.UTF_8));
            PatchCommand.printForPeople(ids, r.lengths(), r.entropies());
        } finally {
            System.setOut(old);
        }
        GenerateCommandTest.Run got = patch("--threshold", "1.9", text);
        assertEquals(0, got.code(), got.err());
        assertEquals(want.toString(StandardCharsets.UTF_8), got.out());
    }

    @Test
    void longTextsPrintTheMarkedTextAndCountsButNoTable() throws IOException {
        byte[] text = sotu(PatchPrinters.People.TABLE_BYTES + 100);
        Path f = Files.write(tmp.resolve("long.txt"), text);
        GenerateCommandTest.Run r = patch("--mode", "space", "--file", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains((PatchPrinters.People.TABLE_BYTES + 100) + " bytes, "), r.out().substring(r.out().length() - 300));
        assertTrue(r.out().endsWith("--json gives every patch)" + System.lineSeparator()));
        GenerateCommandTest.Run one = patch("--mode", "static", "--patch-size", "1000000", "--file", f.toString());
        assertTrue(one.out().contains((PatchPrinters.People.TABLE_BYTES + 100) + " bytes, 1 patches"), one.err());
    }

    @Test
    void aPatchSizeBelowOneByteIsRefusedInEveryMode() {
        for (String[] mode : new String[][] {{"--mode", "entropy", "--top-k"}, {"--mode", "static"}, {"--mode", "space"}})
            for (String size : new String[] {"0.3", "0", "-2", "NaN", "Infinity"}) {
                String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(mode),
                        java.util.stream.Stream.of("--patch-size", size, "hello world")).toArray(String[]::new);
                GenerateCommandTest.Run r = patch(args);
                assertEquals(2, r.code(), String.join(" ", args) + ": " + r.out());
                assertTrue(r.err().contains("--patch-size must be a finite number of bytes >= 1, got "), r.err());
            }
    }
}
