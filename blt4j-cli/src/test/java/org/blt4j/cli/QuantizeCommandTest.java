package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * blt4j quantize on the golden models, then the inference commands and the Java API on the int8 folders; an existing
 * --out, an int8 folder given to convert, and a bad "quantization" entry get one clear line.
 */
class QuantizeCommandTest {
    @TempDir
    Path tmp;

    record Out(int code, String out, String err) {}

    static Out run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter(), err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        java.io.PrintStream old = System.out;
        java.io.ByteArrayOutputStream sys = new java.io.ByteArrayOutputStream();
        System.setOut(new java.io.PrintStream(sys, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            int code = cl.execute(args);
            return new Out(code, out + sys.toString(java.nio.charset.StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test
    void quantizedFoldersServeEveryInferenceCommand() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        Path blt = golden.resolve("blt_base"), em = golden.resolve("entropy_model_forward");
        Path bltQ = tmp.resolve("blt-int8"), emQ = tmp.resolve("em-int8");
        Out q = run("quantize", "--model", blt.toString(), "--out", bltQ.toString());
        assertEquals(0, q.code(), q.err());
        assertTrue(q.out().contains("weights int8 (block 64)"), q.out());
        assertEquals(0, run("quantize", "--model", em.toString(), "--out", emQ.toString(), "--block", "32").code());
        CliErrorsTest.assertClear(CliErrorsTest.run("quantize", "--model", blt.toString(), "--out", bltQ.toString()), "already exists");
        CliErrorsTest.assertClear(CliErrorsTest.run("quantize", "--model", blt.toString(), "--out", tmp.resolve("b0").toString(),
                "--block", "0"), "--block");

        Out inspect = run("inspect", bltQ.toString());
        assertEquals(0, inspect.code(), inspect.err());
        assertTrue(inspect.out().contains("int8 (block 64)"), inspect.out());
        Out gen = run("generate", "--model", bltQ.toString(), "--entropy-model", emQ.toString(), "--prompt", "The Union",
                "--max-bytes", "12", "--greedy", "--ignore-eos");
        assertEquals(0, gen.code(), gen.err());
        Out patch = run("patch", "--entropy-model", emQ.toString(), "--json", "The state of the Union is strong.");
        assertEquals(0, patch.code(), patch.err());
        assertTrue(patch.out().contains("\"patch_lengths\""), patch.out());
        Out fwd = run("forward", "--model", bltQ.toString(), "--entropy-model", emQ.toString(), "The state of the Union");
        assertEquals(0, fwd.code(), fwd.err());
        assertTrue(fwd.out().contains("bits per byte"), fwd.out());

        String text = "The state of the Union is strong, and the work of this Congress will decide it.";
        try (Blt fp = Blt.load(blt, em); Blt i8 = Blt.load(bltQ, emQ)) {
            double a = fp.bitsPerByte(text), b = i8.bitsPerByte(text);
            assertTrue(a != b && Math.abs(b / a - 1) < 0.01, "bits per byte fp32 " + a + " int8 " + b);
            assertEquals(text.length() + 1, java.util.Arrays.stream(i8.patch(text).lengths()).sum());
            assertEquals(i8.generate("The Union", GenerateOptions.greedy().withMaxBytes(12)),
                    i8.generate("The Union", GenerateOptions.greedy().withMaxBytes(12)));
        }

        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", bltQ.toString(), "--to", "hf", "--out",
                tmp.resolve("hf").toString()), "quantization");
        assertFalse(Files.exists(tmp.resolve("hf")));
        ObjectNode config = Checkpoint.rawConfig(emQ).deepCopy();
        ((ObjectNode) config.get("quantization")).put("format", "nf4");
        Files.writeString(emQ.resolve(Checkpoint.CONFIG), Json.MAPPER.writeValueAsString(config));
        CliErrorsTest.assertClear(CliErrorsTest.run("patch", "--entropy-model", emQ.toString(), "some text"),
                "config.json", "quantization", "format", "nf4");
    }
}
