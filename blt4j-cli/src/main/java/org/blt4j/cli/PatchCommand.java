package org.blt4j.cli;

import org.blt4j.io.ModelDirs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.TextPatcher;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.run.ProgressBar;
import org.blt4j.tensor.Parallel;
import java.io.InputStream;
import java.util.function.LongConsumer;
import org.blt4j.text.ByteTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** blt4j patch: shows how a text is cut into patches. */
@Command(name = "patch", mixinStandardHelpOptions = true,
        description = "Cut a text into patches (entropy patching with an entropy model, or static/space/byte/bpe).")
final class PatchCommand implements Callable<Integer> {
    @Mixin
    TextInput input;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model checkpoint (needed for --mode entropy)")
    Path entropyModel;

    @Option(names = "--mode", defaultValue = "entropy", description = "entropy, static, byte, space or bpe (bpe needs BPE-delimited ids, which text lacks: refused on text) (default: ${DEFAULT-VALUE})")
    String mode;

    @Option(names = "--threshold", paramLabel = "T",
            description = "entropy threshold in nats (default: the released models' 1.335442066192627)")
    Double threshold;

    @Option(names = "--top-k", description = "entropy mode without a threshold: as many patches as static patching of --patch-size")
    boolean topK;

    @Option(names = "--monotonic", description = "entropy mode: start a patch where the entropy rises by more than the threshold")
    boolean monotonic;

    @Option(names = "--patch-size", defaultValue = "4.5", description = "static patch size / top-k target (default: ${DEFAULT-VALUE})")
    double patchSize;

    @Option(names = "--max-patch-length", paramLabel = "M", description = "split patches longer than M")
    Integer maxPatchLength;

    @Option(names = "--json", description = "print {\"patch_lengths\": [...], \"entropies\": [...]}")
    boolean json;

    /** Inputs at least this long show a progress line on stderr. */
    static final long PROGRESS_BYTES = 16L << 20;

    /**
     * Streams: the text is read in blocks, its entropies computed chunk by chunk and each patch printed as it closes
     * (TextPatcher), so any length runs in memory bounded by the entropy model's chunks. Top-k, static and bpe look
     * ahead and need the whole text: it is read into memory up to a 64th of the heap.
     */
    @Override
    public Integer call() throws Exception {
        boolean entropyMode = mode.equals("entropy");
        if (threshold != null && !Double.isFinite(threshold)) throw new Blt4jException("--threshold must be a finite number");
        Double t = topK ? null : (threshold != null ? threshold : PatcherArgs.RELEASED_THRESHOLD);
        if (!(patchSize >= 1 && patchSize < Double.POSITIVE_INFINITY))   // NaN too; 0.3 with top-k gave a patch per byte
            throw new Blt4jException("--patch-size must be a finite number of bytes >= 1, got " + patchSize);
        if ("static".equals(mode) && patchSize != Math.rint(patchSize))
            throw new Blt4jException("--mode static cuts patches of a whole number of bytes: give --patch-size N (default 4.5 is for top-k)");
        Patcher patcher = PatcherArgs.of(mode, t, null, monotonic, maxPatchLength, patchSize).build();
        EntropyModel em = null;
        if (entropyMode) {
            if (entropyModel == null)
                throw new Blt4jException("--mode entropy needs --entropy-model DIR (or pick --mode static|space|byte)");
            em = ModelLoader.patcherModel(ModelDirs.resolveModel(entropyModel));
        }
        Chunking chunking = em == null ? null : Chunking.exact(em.args(), Parallel.poolSize());
        long size = input.size();
        ProgressBar bar = size >= PROGRESS_BYTES ? new ProgressBar("patch", size, "B", System.err, false, 10, System::nanoTime) : null;
        LongConsumer progress = bar == null ? read -> {} : read -> bar.update(input.counted(), input.counted());
        long inMemoryLimit = Runtime.getRuntime().maxMemory() / 64;
        try (InputStream in = input.open()) {
            if (json) {
                try (PatchPrinters.Json out = new PatchPrinters.Json(System.out, em != null)) {
                    TextPatcher.stream(in, patcher, em, chunking, inMemoryLimit, out, progress);
                    out.finish();
                }
                System.out.println();
            } else {
                PatchPrinters.People out = new PatchPrinters.People(System.out, em != null);
                TextPatcher.stream(in, patcher, em, chunking, inMemoryLimit, out, progress);
                out.finish();
            }
        }
        if (bar != null) bar.finish();
        return 0;
    }

    /**
     * The text with | at patch boundaries. A boundary inside a multi-byte UTF-8 character is shown after that
     * character, so the text stays readable.
     */
    static void printMarked(int[] tokens, int[] lengths) {
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        boolean pending = false;
        int pos = 0;
        for (int p = 0; p < lengths.length; p++) {
            for (int i = pos; i < pos + lengths[p]; i++) {
                int id = tokens[i];
                boolean continuation = ByteTokenizer.isByte(id) && ((id - ByteTokenizer.OFFSET) & 0xC0) == 0x80;
                if ((i == pos && p > 0 || pending) && !continuation) {
                    buf.write('|');
                    pending = false;
                } else if (i == pos && p > 0) pending = true;
                byte[] shown = show(new int[] {id}).getBytes(StandardCharsets.UTF_8);
                if (ByteTokenizer.isByte(id)) buf.write(id - ByteTokenizer.OFFSET);
                else buf.writeBytes(shown);
            }
            pos += lengths[p];
        }
        System.out.println(buf.toString(StandardCharsets.UTF_8));
    }

    static void printForPeople(int[] tokens, int[] lengths, float[] entropies) {
        StringBuilder table = new StringBuilder();
        int pos = 0;
        for (int p = 0; p < lengths.length; p++) {
            int[] ids = Arrays.copyOfRange(tokens, pos, pos + lengths[p]);
            String s = show(ids);
            table.append(String.format("  %4d  len %3d", p, lengths[p]));
            if (entropies != null && pos > 0) table.append(String.format("  H(prev)=%.3f", entropies[pos - 1]));
            else if (entropies != null) table.append("              ");
            table.append("  ").append(s.replace("\n", "\\n")).append('\n');
            pos += lengths[p];
        }
        printMarked(tokens, lengths);
        System.out.println();
        System.out.printf("%d bytes, %d patches, %.2f bytes per patch%n", tokens.length - 1, lengths.length,
                (tokens.length - 1) / (double) Math.max(1, lengths.length - 1));
        System.out.print(table);
    }

    /** Display form of some ids: BOS as ⟨s⟩, EOS as ⟨/s⟩, bytes decoded as UTF-8. */
    static String show(int[] ids) {
        StringBuilder sb = new StringBuilder();
        java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
        for (int id : ids) {
            if (ByteTokenizer.isByte(id)) {
                buf.write(id - ByteTokenizer.OFFSET);
                continue;
            }
            sb.append(buf.toString(StandardCharsets.UTF_8));
            buf.reset();
            sb.append(id == ByteTokenizer.BOS_ID ? "<s>" : id == ByteTokenizer.EOS_ID ? "</s>" : "<" + id + ">");
        }
        sb.append(buf.toString(StandardCharsets.UTF_8));
        return sb.toString();
    }
}
