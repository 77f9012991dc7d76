package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.blt4j.token.BpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BpeTrainCommandTest {
    @Test
    void writesALoadableRanksFileAndReportsCompression(@TempDir Path tmp) {
        Path out = tmp.resolve("bpe.tiktoken");
        PrintStream old = System.out;
        var buf = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            code = Main.commandLine().execute("bpe-train", "--data", "../data/sotu-sample.txt.gz", "--vocab", "512",
                    "--out", out.toString());
        } finally {
            System.setOut(old);
        }
        String printed = buf.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, printed);
        assertTrue(printed.contains("trained 512 tokens") && printed.contains("bytes/token"), printed);
        BpeTokenizer bpe = BpeTokenizer.load(out);
        assertEquals(512, bpe.vocabSize());
        byte[] b = {'t', 'h', 'e', (byte) 0xc3, ' ', 'U', 'n', 'i', 'o', 'n'};
        assertArrayEquals(b, bpe.decode(bpe.encode(b)));
    }

    @Test
    void tooSmallAVocabIsOneLine(@TempDir Path tmp) {
        CliErrorsTest.assertClear(CliErrorsTest.run("bpe-train", "--data", "../data/sotu-sample.txt.gz", "--vocab",
                "100", "--out", tmp.resolve("x").toString()), "--vocab must be at least 256");
    }
}
