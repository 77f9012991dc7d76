package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.blt4j.io.Json;
import org.blt4j.server.TestModels;
import org.junit.jupiter.api.Test;

/** The Java API (org.blt4j.api) gives what the commands print: forward's bits per byte, patch's lengths, generate's text. */
class ApiAgreesWithCliTest {
    static final String TEXT = "The byte latent transformer, naïve café 🙂.";
    static final String T = Double.toString(TestModels.THRESHOLD);

    @Test
    void bitsPerBytePatchesAndGreedyTextAreTheCommands() throws Exception {
        Path m = TestModels.goldenRoot().resolve("blt_base"), e = TestModels.goldenRoot().resolve("entropy_model_forward");
        try (Blt blt = Blt.load(m, e, TestModels.THRESHOLD)) {
            GenerateCommandTest.Run fwd = GenerateCommandTest.run("", "forward", "--model", m.toString(), "--entropy-model",
                    e.toString(), "--threshold", T, TEXT);
            assertEquals(0, fwd.code(), fwd.err());
            Matcher bpb = Pattern.compile("bits per byte (\\d+\\.\\d{4})").matcher(fwd.out());
            assertEquals(true, bpb.find(), fwd.out());
            assertEquals(bpb.group(1), String.format(java.util.Locale.ROOT, "%.4f", blt.bitsPerByte(TEXT)));

            GenerateCommandTest.Run patch = GenerateCommandTest.run("", "patch", "--entropy-model", e.toString(),
                    "--threshold", T, "--json", TEXT);
            assertEquals(0, patch.code(), patch.err());
            JsonNode j = Json.MAPPER.readTree(patch.out());
            int[] lengths = new int[j.get("patch_lengths").size()];
            for (int i = 0; i < lengths.length; i++) lengths[i] = j.get("patch_lengths").get(i).asInt();
            assertArrayEquals(lengths, blt.patch(TEXT).lengths());

            GenerateCommandTest.Run gen = GenerateCommandTest.run("", "generate", "--model", m.toString(), "--entropy-model",
                    e.toString(), "--threshold", T, "--prompt", "The ", "--max-bytes", "40", "--greedy");
            assertEquals(0, gen.code(), gen.err());
            assertEquals(gen.out(), blt.generate("The ", GenerateOptions.greedy().withMaxBytes(40)));
        }
    }

    /** forward on a text longer than the context scores its last context bytes (it ran out of heap on 1 MB before). */
    @Test
    void forwardKeepsTheEndOfALongText(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path m = TestModels.goldenRoot().resolve("blt_base"), e = TestModels.goldenRoot().resolve("entropy_model_forward");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; sb.length() < 200_000; i++) sb.append("line ").append(i).append(" of a long text. ");
        Path file = java.nio.file.Files.writeString(tmp.resolve("long.txt"), sb);
        try (Blt blt = Blt.load(m, e, TestModels.THRESHOLD)) {
            int keep = blt.contextBytes() - 1;
            String tail = sb.substring(sb.length() - keep);
            GenerateCommandTest.Run fwd = GenerateCommandTest.run("", "forward", "--model", m.toString(), "--entropy-model",
                    e.toString(), "--threshold", T, "--file", file.toString());
            assertEquals(0, fwd.code(), fwd.err());
            assertEquals(true, fwd.out().startsWith(keep + " bytes, "), fwd.out());
            Matcher bpb = Pattern.compile("bits per byte (\\d+\\.\\d{4})").matcher(fwd.out());
            assertEquals(true, bpb.find(), fwd.out());
            assertEquals(bpb.group(1), String.format(java.util.Locale.ROOT, "%.4f", blt.bitsPerByte(tail)));
        }
    }
}
