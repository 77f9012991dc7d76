package org.blt4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.channels.Channels;
import java.nio.file.Files;
import org.blt4j.generate.PromptContext;
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
        if (file != null) TextInput.requireFile(file);

        LoadedModels models = this.models.load();
        int context = PromptContext.of(models.blt().args());
        PromptContext.Prompt oneShot = interactive ? null : prompt(context);
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
            models.checkFiles();   // a model file changed in place since the load: named, not read (a fault or SIGBUS)
            run(models, generator, sampler, PromptContext.cut(line.getBytes(StandardCharsets.UTF_8), 0, context), out, marker);
            out.println();
            out.flush();
        }
        return 0;
    }

    private void run(LoadedModels models, Generator generator, Sampler sampler, PromptContext.Prompt prompt, PrintStream out, Marker marker) {
        if (prompt.truncated())
            System.err.printf("blt4j: the prompt is longer than the %d bytes the model attends to (max_encoder_seq_length, BOS included):"
                    + " its first %,d bytes were dropped%n", PromptContext.of(models.blt().args()), prompt.droppedBytes());
        int[] ids = prompt.ids();
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

    /** The prompt cut to the context: of a file or standard input only the last bytes that can matter are kept. */
    private PromptContext.Prompt prompt(int context) throws IOException {
        if (prompt != null) return PromptContext.cut(prompt.getBytes(StandardCharsets.UTF_8), 0, context);
        int tail = PromptContext.tailBytes(context);
        if (file != null) {
            if (!Files.isRegularFile(file))   // /dev/stdin, /dev/fd/N: a stream, its tail kept (readAllBytes ran out of memory)
                try (InputStream in = Files.newInputStream(file)) {
                    return tailOf(in, tail, context);
                }
            try (var ch = Files.newByteChannel(file)) {
                long size = ch.size(), skip = Math.max(0, size - tail);
                ch.position(skip);
                byte[] b = Channels.newInputStream(ch).readAllBytes();
                return PromptContext.cut(b, skip, context);
            }
        }
        return tailOf(System.in, tail, context);
    }

    /** The last {@code tail} bytes of a stream, read through a ring so that memory stays at tail bytes. */
    static PromptContext.Prompt tailOf(InputStream in, int tail, int context) throws IOException {
        byte[] ring = new byte[(int) Math.min(tail, 1 << 24)], block = new byte[1 << 16];
        long total = 0;
        for (int n; (n = in.read(block)) > 0; total += n)
            for (int i = 0; i < n; i++) ring[(int) ((total + i) % ring.length)] = block[i];
        if (total <= ring.length) return PromptContext.cut(java.util.Arrays.copyOf(ring, (int) total), 0, context);
        byte[] last = new byte[ring.length];
        for (int i = 0; i < ring.length; i++) last[i] = ring[(int) ((total + i) % ring.length)];
        return PromptContext.cut(last, total - ring.length, context);
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
