package org.blt4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.Generator;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.Sampler;
import org.blt4j.generate.StopStrings;
import org.blt4j.text.ByteTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** blt4j generate: continues a prompt, streaming the bytes as they are produced. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Continue a prompt with a BLT, streaming the text as it is generated.",
                "The prompt comes from --prompt, --file or standard input; --interactive reads one prompt per line."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    ModelOptions models;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "the prompt")
    String prompt;

    @Option(names = "--file", paramLabel = "F", description = "read the prompt from this file (raw bytes)")
    Path file;

    @Option(names = "--interactive", description = "read prompts from standard input, one per line; each line generates; ends at end of input")
    boolean interactive;

    @Option(names = "--max-bytes", defaultValue = "256", paramLabel = "N", description = "at most N bytes per answer (default: ${DEFAULT-VALUE})")
    int maxBytes;

    @Mixin
    SamplingOptions sampling;

    @Option(names = "--stop", paramLabel = "STR",
            description = "stop when the output contains STR (not printed); repeatable. For a newline use $'\\n' in bash.")
    List<String> stops = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "keep generating after an end-of-sequence (it prints nothing)")
    boolean ignoreEos;

    @Mixin
    CacheOption cache;

    @Option(names = "--show-patches",
            description = "mark patch starts: '|' before the character, or alternating colours on a terminal (NO_COLOR turns colours off)")
    boolean showPatches;

    @Option(names = {"-v", "--verbose"}, description = "print bytes, patches, speed and why it stopped to standard error")
    boolean verbose;

    @Override
    public Integer call() throws IOException {
        Sampler sampler = sampling.sampler();
        if (maxBytes < 0) throw new Blt4jException("--max-bytes must be >= 0, got " + maxBytes);
        if (interactive && (prompt != null || file != null))
            throw new Blt4jException("--interactive reads prompts from standard input: leave out --prompt and --file");
        if (prompt != null && file != null) throw new Blt4jException("give either --prompt or --file, not both");
        for (String s : stops) if (s.isEmpty()) throw new Blt4jException("--stop must not be empty");
        byte[] oneShot = interactive ? null : promptBytes();

        LoadedModels models = this.models.load();
        Generator generator = models.generator(cache.cached());
        PrintStream out = System.out;
        boolean terminal = System.console() != null && System.console().isTerminal();
        Marker marker = !showPatches ? Marker.NONE : terminal && System.getenv("NO_COLOR") == null ? Marker.COLOUR : Marker.BAR;

        if (!interactive) {
            run(models, generator, sampler, oneShot, out, marker);
            if (terminal) out.println();
            return 0;
        }
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        while (true) {
            if (terminal) {
                System.err.print("> ");
                System.err.flush();
            }
            String line = in.readLine();
            if (line == null) break;
            run(models, generator, sampler, line.getBytes(StandardCharsets.UTF_8), out, marker);
            out.println();
            out.flush();
        }
        return 0;
    }

    private void run(LoadedModels models, Generator generator, Sampler sampler, byte[] promptBytes, PrintStream out, Marker marker) {
        int[] ids = ByteTokenizer.encode(promptBytes, true, false);
        Printer printer = new Printer(out, marker);
        CompletionStream cs = new CompletionStream(models.eosId(), !ignoreEos, new StopStrings(stops), null, printer);
        long t0 = System.nanoTime();
        generator.generate(ids, maxBytes, sampler, !ignoreEos, cs);
        CompletionStream.Finish why = cs.finish();
        printer.end();
        double s = (System.nanoTime() - t0) / 1e9;
        if (verbose)
            System.err.printf("%n[%d bytes in %.2f s (%.1f bytes/s), %d patch starts, finished: %s]%n", cs.generated(), s,
                    cs.generated() / Math.max(s, 1e-9), cs.patchStarts().length, why.name().toLowerCase(java.util.Locale.ROOT));
    }

    private byte[] promptBytes() throws IOException {
        if (prompt != null) return prompt.getBytes(StandardCharsets.UTF_8);
        if (file != null) {
            if (!Files.isRegularFile(file)) throw new Blt4jException("--file " + file + ": no such file");
            return Files.readAllBytes(file);
        }
        InputStream in = System.in;
        return in.readAllBytes();
    }

    enum Marker { NONE, BAR, COLOUR }

    /** Writes the text as it comes, flushing every piece, with patch starts marked. */
    static final class Printer implements CompletionStream.Sink {
        private static final String[] COLOURS = {"\033[36m", "\033[33m"}; // cyan, yellow: alternate per patch
        private static final String RESET = "\033[0m";
        private final PrintStream out;
        private final Marker marker;
        private int patch;
        private boolean coloured;

        Printer(PrintStream out, Marker marker) {
            this.out = out;
            this.marker = marker;
        }

        @Override
        public void text(String chunk, int[] patchStarts) {
            StringBuilder b = new StringBuilder(chunk.length() + 8 * patchStarts.length);
            int from = 0;
            for (int at : patchStarts) {
                b.append(chunk, from, at);
                if (marker == Marker.BAR) b.append('|');
                else if (marker == Marker.COLOUR) {
                    b.append(COLOURS[patch++ & 1]);
                    coloured = true;
                }
                from = at;
            }
            b.append(chunk, from, chunk.length());
            byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
            out.flush();
        }

        void end() {
            if (coloured) out.print(RESET);
            out.flush();
        }
    }
}
