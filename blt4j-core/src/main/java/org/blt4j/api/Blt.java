package org.blt4j.api;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.io.AtomicFiles;
import org.blt4j.generate.CompletionStream;
import org.blt4j.generate.LoadedModels;
import org.blt4j.generate.PromptContext;
import org.blt4j.generate.StopStrings;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.nn.CrossEntropy;
import org.blt4j.patch.Patcher;
import org.blt4j.patch.TextPatcher;
import org.blt4j.tensor.Parallel;
import org.blt4j.text.ByteTokenizer;

/**
 * A loaded Byte Latent Transformer and the entropy model that patches its input: generate text, cut text into patches,
 * score text in bits per byte.
 *
 * <pre>{@code
 * try (Blt blt = Blt.load(Path.of("blt"), Path.of("entropy"))) {
 *     System.out.println(blt.generate("The ", GenerateOptions.greedy().withMaxBytes(64)));
 * }
 * }</pre>
 *
 * <p><b>Thread safety:</b> every method may be called from any number of threads at once. The models are only read by
 * forward passes; each {@code generate} call builds its own generator (KV caches, sampler), so one {@code Blt} serves
 * concurrent generations, each reproducible on its own. The work inside a call also runs on blt4j's shared kernel
 * threads ({@code -Dblt4j.threads=N}).
 *
 * <p>Texts are Java strings, encoded as UTF-8 (a lone surrogate becomes {@code ?}). A prompt longer than the model's
 * context keeps its last bytes, from a character boundary, as the {@code generate} command does. Generation itself is
 * not cut at the context: its caches grow with the text ({@code maxBytes} bounds them).
 *
 * <p>Weights are memory-mapped: a checkpoint file changed or truncated in place under an open {@code Blt} makes reads
 * fail (an {@code InternalError}, or in the vectorized int8 and bf16 kernels a SIGBUS that ends the JVM). Each call
 * first checks (a stat) that the mapped files were not changed in place since the load and refuses with a
 * {@link Blt4jException} naming the file if they were; a change during a call is not caught. Replace a model folder
 * with {@code ./blt4j} commands, which write a new folder and swap it in (renames leave the mapped files intact). Loading a folder that is missing because such a swap was killed between its two renames puts the
 * previous folder back (it is under a hidden {@code .NAME.old-PID-…} name of a process that is gone). Close a
 * {@code Blt} to unmap its files: one dropped without {@link #close()} keeps them mapped until the JVM exits.
 */
public final class Blt implements AutoCloseable {
    private final LoadedModels models;
    private final int context;
    private boolean closed;         // guarded by this
    private int running;            // calls in progress, guarded by this

    private Blt(LoadedModels models) {
        this.models = models;
        this.context = PromptContext.of(models.blt().args());
    }

    /**
     * Loads the BLT in {@code modelDir} and its entropy model: the patcher stored in the folder when it is a Hugging Face
     * folder with one, else the folder found beside it: {@code modelDir/entropy_model}, {@code modelDir/entropy}, or a
     * sibling folder {@code entropy_model} or {@code entropy} (the layout of {@code ./blt4j demo}'s run folders), the
     * first that exists. Patching uses the BLT config's threshold.
     *
     * @param modelDir a hub or Hugging Face checkpoint folder, a reference-trainer folder, a training step folder or a
     *                 run folder
     * @throws Blt4jException when the folder or the entropy model is missing or not a model
     */
    public static Blt load(Path modelDir) {
        requireDir(modelDir, "model");
        org.blt4j.io.ModelDirs.resolveModel(modelDir);   // not a model folder: said first, before the entropy model's search
        return load(modelDir, LoadedModels.entropyModelFor(modelDir));
    }

    /**
     * Loads a BLT and its entropy model from two folders (hub checkpoints, step folders or run folders); patching uses
     * the BLT config's threshold.
     *
     * @throws Blt4jException when a folder is missing or not a model
     */
    public static Blt load(Path model, Path entropyModel) {
        return new Blt(LoadedModels.load(requireDir(model, "model"), requireDir(entropyModel, "entropy model"), null));
    }

    /**
     * Loads a BLT and its entropy model with another entropy threshold (nats; entropy patching only), as
     * {@code --threshold} does.
     *
     * @throws Blt4jException when a folder is missing or not a model, or the threshold is not finite
     */
    public static Blt load(Path model, Path entropyModel, double threshold) {
        return new Blt(LoadedModels.load(requireDir(model, "model"), requireDir(entropyModel, "entropy model"), threshold));
    }

    private static Path requireDir(Path dir, String what) {
        if (dir == null) throw new Blt4jException("the " + what + " folder must not be null");
        if (Files.isRegularFile(dir))
            throw new Blt4jException(what + " folder " + dir + " is a file: pass the folder that holds it");
        if (!Files.isDirectory(dir) && !AtomicFiles.restoreMovedAside(dir))   // a writer killed mid-swap: put back
            throw new Blt4jException(what + " folder " + dir + " does not exist");
        return dir;
    }

    /**
     * Continues {@code prompt} and returns the generated text (without the prompt, cut before a stop string).
     * Thread-safe.
     */
    public String generate(String prompt, GenerateOptions options) {
        StringBuilder out = new StringBuilder();
        generate(prompt, options, out::append);
        return out.toString();
    }

    /**
     * Continues {@code prompt}, giving the text to {@code onText} piece by piece as it forms, on the calling thread:
     * every piece is whole characters (an incomplete UTF-8 sequence is held back; malformed bytes become U+FFFD) and
     * text that could be the start of a stop string is held back until decided. The pieces join to what
     * {@link #generate(String, GenerateOptions)} returns. Thread-safe.
     *
     * @return the bytes read and generated and why generation ended
     */
    public Generation generate(String prompt, GenerateOptions options, Consumer<String> onText) {
        if (prompt == null) throw new Blt4jException("the prompt must not be null");
        if (options == null) throw new Blt4jException("the generate options must not be null");
        if (onText == null) throw new Blt4jException("onText must not be null");
        enter();
        try {
            return generateOpen(prompt, options, onText);
        } finally {
            exit();
        }
    }

    private Generation generateOpen(String prompt, GenerateOptions options, Consumer<String> onText) {
        PromptContext.Prompt p = PromptContext.cut(prompt.getBytes(StandardCharsets.UTF_8), 0, context);
        CompletionStream cs = new CompletionStream(models.eosId(), options.stopAtEos(), new StopStrings(options.stops()),
                null, (chunk, patchStarts) -> onText.accept(chunk));
        models.generator(true).generate(p.ids(), options.maxBytes(), options.sampler(), options.stopAtEos(), cs);
        Generation.Finish finish = switch (cs.finish()) {
            case EOS -> Generation.Finish.EOS;
            case STOP_STRING -> Generation.Finish.STOP_STRING;
            case LENGTH, CANCELLED -> Generation.Finish.LENGTH; // no keepGoing here: never cancelled
        };
        return new Generation(p.ids().length - 1, p.droppedBytes(), cs.generated(), finish);
    }

    /**
     * Cuts {@code text} into patches with the entropy model, as the model patches its input (the {@code patch}
     * command with the same threshold gives the same lengths). Any length: the result holds about 15 bytes of heap per
     * text byte (the pieces are made when read); thread-safe.
     */
    public Patches patch(String text) {
        if (text == null) throw new Blt4jException("the text must not be null");
        enter();
        try {
            byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
            int[] ids = ByteTokenizer.encode(bytes, true, false);
            TextPatcher.Result r = TextPatcher.inMemory(ids, models.patcherArgs().build(), models.entropyModel(),
                    ChunkedEntropies.Chunking.exact(models.entropyModel().args(), Parallel.poolSize()));
            Double t = models.threshold();
            return new Patches(r.lengths(), r.entropies(), pieces(bytes, r.lengths()), bytes.length, t == null ? Double.NaN : t);
        } finally {
            exit();
        }
    }

    /** The text of each patch over BOS + bytes, each character in the patch of its first byte. */
    static List<String> pieces(byte[] bytes, int[] lengths) {
        return new Pieces(bytes, lengths);
    }

    /**
     * Bits per byte of {@code text} under the BLT: the cross-entropy of predicting each byte from BOS and the bytes
     * before it, patched by the entropy model, over ln 2 and the number of bytes; what {@code ./blt4j forward} prints.
     * The text must be non-empty and fit the model's context; thread-safe.
     */
    public double bitsPerByte(String text) {
        if (text == null) throw new Blt4jException("the text must not be null");
        enter();
        try {
            int[] ids = ByteTokenizer.encode(text.getBytes(StandardCharsets.UTF_8), true, false);
            if (ids.length < 2) throw new Blt4jException("the text is empty: give at least one byte");
            if (ids.length > context)
                throw new Blt4jException("the text has " + (ids.length - 1) + " bytes, more than the " + (context - 1)
                        + " the model attends to");
            Patcher patcher = models.patcherArgs().build();
            float[] h = patcher.needsEntropies() ? ChunkedEntropies.compute(models.entropyModel(), ids,
                    ChunkedEntropies.Chunking.exact(models.entropyModel().args(), Parallel.poolSize()), ChunkedEntropies.Progress.NONE) : null;
            int[] lengths = patcher.patchLengths(ids, h, true);
            float[] logits = models.blt().forward(ids, lengths);
            int n = ids.length - 1;
            int[] y = java.util.Arrays.copyOfRange(ids, 1, ids.length);
            double nats = CrossEntropy.lossAndGrad(logits, y, null, n, models.blt().args().vocabSize(), 0f, null);
            if (!Double.isFinite(nats))
                throw new Blt4jException("the model's loss is " + nats + ": its weights or config make the forward pass overflow");
            return nats / Math.log(2) / n;
        } finally {
            exit();
        }
    }

    /** The model's display name (its folder's name). */
    public String name() {
        return models.name();
    }

    /** The context in bytes, BOS included: a longer prompt keeps its end. */
    public int contextBytes() {
        return context;
    }

    /**
     * Closes this {@code Blt}: later calls fail, and the checkpoint files its models read in place (the BLT's hash
     * tables, mapped bf16 or int8 weights) are unmapped as soon as no call is running: at once when none is, else when
     * the last running call returns (so a call in progress, or an {@code onText} callback that closes, finishes
     * normally). Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            if (running > 0) return;      // the last call to return releases
        }
        models.close();
    }

    /** Whether the models are released (closed and no call running); for tests. */
    synchronized boolean released() {
        return closed && running == 0;
    }

    /** Starts a call: refused when closed, or when a mapped checkpoint file was changed in place since the load. */
    private void enter() {
        synchronized (this) {
            if (closed) throw new Blt4jException("this Blt is closed");
            running++;
        }
        try {
            models.checkFiles();
        } catch (RuntimeException e) {
            exit();
            throw e;
        }
    }

    private void exit() {
        synchronized (this) {
            if (--running > 0 || !closed) return;
        }
        models.close();
    }
}
