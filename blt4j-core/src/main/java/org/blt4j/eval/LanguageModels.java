package org.blt4j.eval;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.Blt4jException;
import org.blt4j.data.TokenIdStream;
import org.blt4j.io.Checkpoint;
import org.blt4j.generate.LoadedModels;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.token.BpeTokenizer;

/** Loads any of the three {@link LanguageModel} kinds from a run, step or hub folder. */
public final class LanguageModels {
    /** What {@code train-token} writes in its run folder: the tokenizer's name, or the ranks file next to it. */
    public static final String TOKENIZER_TXT = "tokenizer.txt";

    private LanguageModels() {}

    /**
     * The model in modelDir (a hub checkpoint, a step folder or a run folder). The kind is read from the checkpoint:
     * config.json args with {@code dim_global} → a BLT (patched by entropyModelDirOrNull, or when null by
     * {@link LoadedModels#entropyModelFor}); a {@value #TOKENIZER_TXT}
     * in the folder given, the checkpoint's folder or the step folder's run → a token LM; else a byte LM.
     * entropyModelDirOrNull is ignored for the two LMs.
     */
    public static LanguageModel load(Path modelDir, Path entropyModelDirOrNull) {
        Path dir = ModelDirs.resolveModel(modelDir);
        if (ModelLoader.isBlt(dir)) {
            Path em = entropyModelDirOrNull != null ? entropyModelDirOrNull : LoadedModels.entropyModelFor(modelDir);
            return new LanguageModel.Blt(ModelLoader.blt(dir, true), ModelLoader.patcherModel(ModelDirs.resolveModel(em)));
        }
        Path txt = tokenizerTxt(modelDir, dir);
        EntropyModel model = ModelLoader.entropyModel(dir);
        if (txt == null) {
            if (model.args().vocabSize() != ByteTokenizer.VOCAB_SIZE)
                throw new Blt4jException(modelDir + ": vocab_size " + model.args().vocabSize() + " is not a byte LM's "
                        + ByteTokenizer.VOCAB_SIZE + " and there is no " + TOKENIZER_TXT + " beside it; for a token LM pass its run"
                        + " folder (which keeps " + TOKENIZER_TXT + " and the tokenizer)");
            return new LanguageModel.Bytes(model);
        }
        BpeTokenizer tok = tokenizer(txt);
        int want = TokenIdStream.vocabSize(tok);
        if (model.args().vocabSize() != want)
            throw new Blt4jException("token LM " + dir + ": vocab_size " + model.args().vocabSize() + " does not match its tokenizer "
                    + tok.name() + " (" + tok.vocabSize() + " tokens + " + TokenIdStream.OFFSET + " = " + want + ")");
        return new LanguageModel.Tokens(model, tok);
    }

    /** The token LM's tokenizer.txt: in the folder given, the checkpoint's folder or its run folder; null when none. */
    public static Path tokenizerTxt(Path given, Path checkpoint) {
        for (Path d : new Path[] {given, checkpoint, checkpoint.toAbsolutePath().normalize().getParent()}) {
            if (d == null) continue;
            Path f = d.resolve(TOKENIZER_TXT);
            if (Files.isRegularFile(f)) return f;
        }
        return null;
    }

    /**
     * The tokenizer a run's tokenizer.txt names: cl100k_base, o200k_base, or a ranks file beside it, checked against
     * the SHA-256 on its second line when there is one (runs since it was recorded): another ranks file of the same
     * size was taken without a word, and gave other bits per byte.
     */
    public static BpeTokenizer tokenizer(Path tokenizerTxt) {
        java.util.List<String> lines;
        try {
            lines = Files.readAllLines(tokenizerTxt);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + tokenizerTxt + ": " + e.getMessage(), e);
        }
        String name = lines.isEmpty() ? "" : lines.get(0).strip();
        if (name.equals("cl100k_base") || name.equals("o200k_base")) return BpeTokenizer.named(name);
        if (name.isEmpty())
            throw new Blt4jException(tokenizerTxt + " is empty; it should name cl100k_base, o200k_base or the run's ranks file");
        Path ranks = tokenizerTxt.toAbsolutePath().getParent().resolve(name);
        org.blt4j.io.ModelDirs.requireRegular(ranks);   // there but a folder, FIFO, dangling link...: named as such
        if (!Files.isRegularFile(ranks))
            throw new Blt4jException(tokenizerTxt + " names the tokenizer " + name + ", which is missing: put the run's "
                    + "tokenizer.tiktoken (the ranks file it trained with) back at " + ranks);
        String recorded = lines.size() > 1 && lines.get(1).strip().startsWith("sha256 ") ? lines.get(1).strip().substring(7) : null;
        if (recorded != null) {
            String sha;
            try {
                sha = org.blt4j.io.Sha256.ofFile(ranks);
            } catch (IOException e) {
                throw new Blt4jException("cannot read " + ranks + ": " + e.getMessage(), e);
            }
            if (!sha.equals(recorded))
                throw new Blt4jException(ranks + " is not the tokenizer this token LM was trained with (sha256 "
                        + sha.substring(0, 16) + "…, " + tokenizerTxt.getFileName() + " records " + recorded.substring(0, Math.min(16, recorded.length()))
                        + "…): put back the ranks file the run trained with");
        }
        return BpeTokenizer.load(ranks);
    }
}
