package org.blt4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.Callable;
import org.blt4j.generate.PromptContext;
import org.blt4j.io.ModelDirs;
import org.blt4j.Blt4jException;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.text.ByteTokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** blt4j forward: one forward pass; the next-byte top 5 and the bits per byte of the text. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = "Run the BLT on a text: top 5 next bytes and the text's bits per byte.")
final class ForwardCommand implements Callable<Integer> {
    @Mixin
    TextInput input;

    @Mixin
    ModelOptions models;

    @Override
    public Integer call() {
        ByteLatentTransformer blt = ModelLoader.blt(ModelDirs.resolveModel(models.model), true);
        BltArgs a = blt.args();
        int context = PromptContext.of(a);
        PromptContext.Prompt text;
        try (InputStream in = input.open()) {   // only the last bytes that fit the context are kept, as generate keeps them
            text = GenerateCommand.tailOf(in, PromptContext.tailBytes(context), context);
        } catch (IOException e) {
            throw new Blt4jException("cannot read the text: " + e.getMessage());
        }
        int[] tokens = text.ids();
        if (tokens.length < 2) throw new Blt4jException("the text is empty: give at least one byte");
        if (text.truncated())
            System.err.printf("blt4j: the text is longer than the %d bytes the model attends to (max_encoder_seq_length, BOS"
                    + " included): its first %,d bytes were dropped (eval scores a long text row by row)%n", context, text.droppedBytes());
        EntropyModel em = ModelLoader.patcherModel(ModelDirs.resolveModel(models.entropyModel()));
        PatcherArgs pa = PatcherArgs.of(a.patchingMode(), models.threshold != null ? models.threshold
                        : a.patchingThreshold() != null ? a.patchingThreshold() : PatcherArgs.RELEASED_THRESHOLD,
                a.patchingThresholdAdd(), a.monotonicity(), a.maxPatchLength(), a.patchSize());
        float[] H = em.entropies(tokens);
        Patcher patcher = pa.build();
        int[] lengths = patcher.patchLengths(tokens, H, true);
        float[] logits = blt.forward(tokens, lengths);
        int V = a.vocabSize(), N = tokens.length;

        // bits per byte of the text: -log2 p(t[i+1] | t[..i]) averaged over the N-1 predicted bytes
        double nats = 0;
        for (int i = 0; i + 1 < N; i++) nats -= logProb(logits, i * V, V, tokens[i + 1]);
        if (!Double.isFinite(nats))
            throw new Blt4jException("the model gave non-finite log-probabilities (bits per byte " + nats + "): its weights are"
                    + " damaged (inspect checks them; an int8 scale can be finite yet too large)");
        int patches = patcher.patchLengths(tokens, H, false).length; // the text's patches, as the patch command counts them
        System.out.printf("%d bytes, %d patches (%.2f bytes/patch), bits per byte %.4f%n", N - 1, patches,
                (N - 1) / (double) Math.max(1, patches - 1), nats / Math.log(2) / (N - 1));

        System.out.println("next byte, top 5:");
        int off = (N - 1) * V;
        Integer[] order = new Integer[V];
        for (int v = 0; v < V; v++) order[v] = v;
        java.util.Arrays.sort(order, (x, y) -> Float.compare(logits[off + y], logits[off + x]));
        for (int r = 0; r < 5; r++) {
            int v = order[r];
            System.out.printf("  %-8s p=%.4f%n", label(v), Math.exp(logProb(logits, off, V, v)));
        }
        return 0;
    }

    static double logProb(float[] logits, int off, int V, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < V; v++) max = Math.max(max, logits[off + v]);
        double sum = 0;
        for (int v = 0; v < V; v++) sum += Math.exp(logits[off + v] - max);
        return logits[off + target] - max - Math.log(sum);
    }

    static String label(int id) {
        if (id == ByteTokenizer.BOS_ID) return "<s>";
        if (id == ByteTokenizer.EOS_ID) return "</s>";
        if (id < ByteTokenizer.OFFSET) return "<" + id + ">";
        int b = id - ByteTokenizer.OFFSET;
        if (b >= 0x21 && b < 0x7f) return "'" + (char) b + "'";
        return String.format("0x%02x", b);
    }
}
