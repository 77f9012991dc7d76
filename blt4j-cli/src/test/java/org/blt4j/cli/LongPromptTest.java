package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.server.TestModels;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A prompt longer than the model's context (max_encoder_seq_length = 1024 for the golden BLT) is cut to its end. */
class LongPromptTest {
    @TempDir
    Path tmp;

    static String greedy(byte[] promptBytes, int maxBytes) {
        LoadedModels m = TestModels.get();
        CompletionStream cs = new CompletionStream(m.eosId(), true, new StopStrings(List.of()), null, null);
        m.generator(true).generate(ByteTokenizer.encode(promptBytes, true, false), maxBytes, Sampler.greedy(), true, cs);
        cs.finish();
        return cs.text();
    }

    @Test
    void aMegabytePromptFileIsCutToTheLastBytesWithANotice() throws Exception {
        byte[] big = new byte[1 << 20];
        for (int i = 0; i < big.length; i++) big[i] = (byte) ("the state of the union " .charAt(i % 23));
        Path f = Files.write(tmp.resolve("big.txt"), big);
        String want = greedy(Arrays.copyOfRange(big, big.length - 1023, big.length), 12);
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream oldErr = System.err;
        GenerateCommandTest.Run r;
        try {
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            r = GenerateCommandTest.run("", GenerateCommandTest.args("--file", f.toString(), "--max-bytes", "12", "--greedy"));
        } finally {
            System.setErr(oldErr);
        }
        assertEquals(0, r.code(), r.err());
        assertEquals(want, r.out());
        String notice = err.toString(StandardCharsets.UTF_8);
        assertTrue(notice.contains("1024 bytes") && notice.contains(String.format("%,d", big.length - 1023)), notice);
    }

    @Test
    void standardInputKeepsItsTailInBoundedMemory() throws Exception {
        byte[] big = new byte[3000];
        for (int i = 0; i < big.length; i++) big[i] = (byte) ('a' + i % 26);
        var p = GenerateCommand.tailOf(new ByteArrayInputStream(big), 1026, 1024);
        assertEquals(big.length - 1023, p.droppedBytes());
        assertEquals(Arrays.toString(ByteTokenizer.encode(Arrays.copyOfRange(big, big.length - 1023, big.length), true, false)),
                Arrays.toString(p.ids()));
    }
}
