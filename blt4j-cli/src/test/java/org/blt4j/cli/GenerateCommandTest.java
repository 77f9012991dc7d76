package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.server.TestModels;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** blt4j generate with the tiny golden models. */
class GenerateCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {}

    static Run run(String stdin, String... args) {
        PrintStream oldOut = System.out;
        InputStream oldIn = System.in;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
            System.setIn(oldIn);
        }
    }

    static String[] args(String... extra) {
        Path g = TestModels.goldenRoot();
        List<String> a = new ArrayList<>(List.of("generate", "--model", g.resolve("blt_base").toString(), "--entropy-model",
                g.resolve("entropy_model_forward").toString(), "--threshold", Double.toString(TestModels.THRESHOLD)));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    /** Greedy generation straight from the library: the text, and its patch starts. */
    static CompletionStream expected(String prompt, int maxBytes, List<String> stops) {
        LoadedModels m = TestModels.get();
        CompletionStream cs = new CompletionStream(m.eosId(), true, new StopStrings(stops), null, null);
        m.generator(false).generate(ByteTokenizer.encode(prompt, true, false), maxBytes, Sampler.greedy(), true, cs);
        cs.finish();
        return cs;
    }

    @Test
    void greedyFromPromptFileAndStdin() throws Exception {
        String want = expected("Hello", 20, List.of()).text();
        Run r = run("", args("--prompt", "Hello", "--max-bytes", "20", "--greedy"));
        assertEquals(0, r.code(), r.err());
        assertEquals(want, r.out());
        Path f = Files.writeString(tmp.resolve("p.txt"), "Hello");
        assertEquals(want, run("", args("--file", f.toString(), "--max-bytes", "20", "--temperature", "0")).out());
        assertEquals(want, run("Hello", args("--max-bytes", "20", "--greedy")).out());
    }

    @Test
    void stopStringAndPatchMarks() {
        String full = expected("The ", 40, List.of()).text();
        String stop = full.substring(5, 7);
        CompletionStream cut = expected("The ", 40, List.of(stop));
        assertEquals(full.substring(0, full.indexOf(stop)), cut.text());
        assertEquals(cut.text(), run("", args("--prompt", "The ", "--max-bytes", "40", "--greedy", "--stop", stop)).out());

        CompletionStream all = expected("The ", 40, List.of());
        StringBuilder marked = new StringBuilder(all.text());
        int[] starts = all.patchStarts();
        assertTrue(starts.length > 0);
        for (int i = starts.length - 1; i >= 0; i--) marked.insert(starts[i], '|');
        assertEquals(marked.toString(), run("", args("--prompt", "The ", "--max-bytes", "40", "--greedy", "--show-patches")).out());
    }

    @Test
    void seededSamplingRepeats() {
        String[] a = args("--prompt", "abc", "--max-bytes", "16", "--temperature", "0.9", "--top-k", "30", "--top-p", "0.95", "--seed", "5");
        Run r1 = run("", a), r2 = run("", a);
        assertEquals(0, r1.code(), r1.err());
        assertEquals(r1.out(), r2.out());
    }

    @Test
    void interactiveLines() {
        Run r = run("ab\ncd\n", args("--interactive", "--max-bytes", "6", "--greedy"));
        assertEquals(0, r.code(), r.err());
        assertEquals(expected("ab", 6, List.of()).text() + "\n" + expected("cd", 6, List.of()).text() + "\n", r.out());
        assertEquals("", run("", args("--interactive", "--greedy")).out(), "nothing to do at end of input");
    }

    @Test
    void clearErrors() {
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--greedy", "--temperature", "1")), "--greedy");
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--max-bytes", "-1")), "--max-bytes");
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--interactive")), "--interactive");
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--file", "x")), "either");
        CliErrorsTest.assertClear(cliRun(args("--file", tmp.resolve("nope.txt").toString())), "nope.txt");
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--stop", "")), "--stop");
        CliErrorsTest.assertClear(cliRun(args("--prompt", "a", "--top-p", "2")), "top-p");
        CliErrorsTest.assertClear(cliRun(new String[] {"serve", "--model", "m", "--entropy-model", "e", "--max-concurrent", "0"}), "--max-concurrent");
        CliErrorsTest.assertClear(cliRun(new String[] {"serve", "--model", "m", "--entropy-model", "e", "--time-limit", "-1"}), "--time-limit");
        CliErrorsTest.assertClear(cliRun(new String[] {"generate", "--model", tmp.toString(), "--entropy-model", tmp.toString(), "--prompt", "a"}));
    }

    private static CliErrorsTest.Run cliRun(String[] a) {
        Run r = run("", a);
        return new CliErrorsTest.Run(r.code(), r.err());
    }
}
