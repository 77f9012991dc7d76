package org.blt4j.train;

import org.blt4j.io.ModelDirs;
import org.blt4j.io.Sha256;
import org.blt4j.run.RunFiles;
import org.blt4j.eval.LanguageModels;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.blt4j.data.EntropyCache;
import org.blt4j.data.TokenIdStream;
import org.blt4j.data.TokenStream;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.blt4j.token.TiktokenRanks;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.run.ProgressBar;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.model.ModelLoader;
import org.blt4j.nn.Init;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Parallel;

/** Builds the training tasks a config describes: reads and splits the data, initialises the model. */
public final class Training {
    private Training() {}

    /**
     * Refuses to checkpoint a model that diverged: parameters an update made non-finite (lr 1e300: the last step's loss
     * was finite, its update overflowed), or a non-finite {@code value} of the {@code measure} just computed (null:
     * none was). The run stops naming the step; nothing is saved, so the earlier checkpoints, which {@code keep} would
     * have pruned for broken ones, stay.
     */
    public static void requireNotDiverged(float[] params, String measure, double value, long step, String lowerWhat) {
        String why = measure != null && !Double.isFinite(value) ? measure + " = " + value : null;
        for (int i = 0; why == null && i < params.length; i++)
            if (!Float.isFinite(params[i])) why = "the update made parameter " + i + " " + params[i];
        if (why != null)
            throw new Blt4jException("training diverged at step " + step + ": " + why
                    + " (nothing was saved; the earlier checkpoints are kept): lower " + lowerWhat);
    }

    /** The text of a config split into train and held-out documents, then encoded BOS + bytes + EOS. */
    public record Streams(int[] train, int[] heldOut, long trainBytes, long heldOutBytes, List<byte[]> heldOutDocs) {}

    public static Streams streams(TrainConfig cfg) {
        return streams(split(cfg));
    }

    public static Streams streams(DataSplit split) {
        return new Streams(TokenStream.encode(split.train()), TokenStream.encode(split.heldOut()), split.trainBytes(),
                split.heldOutBytes(), split.heldOut());
    }

    /** The config's data, split into train and held-out documents. */
    public static DataSplit split(TrainConfig cfg) {
        return DataSplit.split(Corpus.read(Path.of(cfg.data().path())), cfg.data().heldoutFraction());
    }

    /**
     * model.args of a training config as {@code type}: unlike a hub config.json (whose reference keys that blt4j does
     * not read are ignored), a training config is written for blt4j, so a key the record does not read is refused.
     */
    public static <T extends Record> T bind(JsonNode args, Class<T> type) {
        var snake = new com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy();
        java.util.Set<String> known = new java.util.TreeSet<>();
        for (var c : type.getRecordComponents()) known.add(snake.translate(c.getName()));
        List<String> unknown = new java.util.ArrayList<>();
        args.fieldNames().forEachRemaining(k -> { if (!known.contains(k)) unknown.add(k); });
        if (!unknown.isEmpty())
            throw new Blt4jException("config: model.args: unknown key" + (unknown.size() > 1 ? "s " : " ") + unknown
                    + " (known: " + known + ")");
        try {
            return org.blt4j.io.Json.MAPPER.treeToValue(args, type);
        } catch (ValueInstantiationException e) {
            throw e.getCause() instanceof Blt4jException b ? b : new Blt4jException("config: model.args: " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Blt4jException("config: model.args: " + org.blt4j.io.Json.describe(e));
        }
    }

    /**
     * Training holds the parameters, AdamW's two moments and a gradient per thread (TrainTask), all fp32: refused
     * before any is allocated when they would not fit in the heap.
     */
    static void requireTrainable(List<ParamStore.Spec> specs, String what) {
        int copies = 3 + Parallel.threads();
        ParamStore.requireFits(ParamStore.numel(specs), copies, "training the " + what + " (parameters, AdamW's 2 moments, "
                + Parallel.threads() + " gradient buffers)");
    }

    public static EntropyTask entropyTask(TrainConfig cfg, Streams s) {
        LmArgs args = bind(cfg.model().args(), LmArgs.class);
        List<ParamStore.Spec> specs = EntropyModel.specs(args);
        requireTrainable(specs, "entropy model");
        ParamStore params = ParamStore.allocate(specs);
        Init.init(params, cfg.train().seed(), false);
        return new EntropyTask(new EntropyModel(args, params), s.train(), s.heldOut(), cfg.data().batchSize(),
                cfg.data().seqLen(), cfg.shuffleSeed());
    }

    /**
     * The token LM task: model.tokenizer (cl100k_base, o200k_base, a tiktoken ranks file, or {train: VOCAB}: a BPE
     * trained on the training split) encodes both splits; model.args.vocab_size is the tokenizer's vocabulary +
     * {@link TokenIdStream#OFFSET} (filled in when absent). The run folder keeps the tokenizer: RUN/tokenizer.txt
     * names the bundled encoding, or tokenizer.tiktoken, the ranks file copied (or trained) there.
     */
    public static TokenTask tokenTask(TrainConfig cfg, DataSplit split) {
        JsonNode t = cfg.model().tokenizer();
        if (t == null)
            throw new Blt4jException("config: model.tokenizer is missing: the token LM needs cl100k_base, o200k_base, a"
                    + " tiktoken ranks file (write one with bpe-train) or {train: VOCAB}");
        Path runDir = Path.of(cfg.train().out());
        Kept kept = tokenizer(t, split, runDir);
        BpeTokenizer tok = kept.tokenizer();
        int vocab = TokenIdStream.vocabSize(tok);
        com.fasterxml.jackson.databind.node.ObjectNode argsTree = (com.fasterxml.jackson.databind.node.ObjectNode) cfg.model().args().deepCopy();
        if (argsTree.has("vocab_size") && argsTree.get("vocab_size").asInt() != vocab)
            throw new Blt4jException("config: model.args.vocab_size " + argsTree.get("vocab_size") + " does not match the tokenizer "
                    + t + ": " + tok.vocabSize() + " tokens + " + TokenIdStream.OFFSET + " specials = " + vocab);
        argsTree.put("vocab_size", vocab);
        LmArgs args = bind(argsTree, LmArgs.class);
        List<ParamStore.Spec> specs = EntropyModel.specs(args);
        requireTrainable(specs, "token LM");
        ParamStore params = ParamStore.allocate(specs);
        Init.init(params, cfg.train().seed(), false);
        return new TokenTask(new EntropyModel(args, params), TokenIdStream.encode(split.train(), tok),
                TokenIdStream.encode(split.heldOut(), tok), cfg.data().batchSize(), cfg.data().seqLen(), cfg.shuffleSeed(),
                kept::keep);
    }

    /** A token LM's tokenizer, and what the run folder keeps of it (written by {@link #keep} once the folder is claimed). */
    private record Kept(BpeTokenizer tokenizer, String name, TiktokenRanks ranks, String sha) {
        /** RUN/tokenizer.txt names the tokenizer (and the ranks file's SHA-256); RUN/tokenizer.tiktoken is the ranks file. */
        void keep(Path runDir) {
            try {
                Files.createDirectories(runDir);
                Path copy = runDir.resolve("tokenizer.tiktoken");
                if (ranks != null && !Files.isRegularFile(copy)) ranks.write(copy);
                String txt = ranks == null ? name + "\n" : "tokenizer.tiktoken\nsha256 " + sha + "\n";
                RunFiles.writeAtomically(runDir.resolve(LanguageModels.TOKENIZER_TXT), txt.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new Blt4jException("run folder " + runDir + ": cannot keep the tokenizer (" + e.getMessage() + ")");
            }
        }
    }

    /**
     * The tokenizer model.tokenizer names: a bundled encoding, a ranks file, or {train: VOCAB}. Nothing is written here:
     * the run folder gets its copy when the Trainer has claimed it ({@link TrainTask#install}; a refused run rewrote
     * the folder's tokenizer before its refusal). A folder that already keeps another tokenizer is refused (a resume
     * with an edited ranks file overwrote the run's copy, then was refused: the model was left beside a tokenizer it
     * never saw); a ranks file named by a relative path that does not resolve from here is taken from the run's copy
     * (a resume from another folder).
     */
    private static Kept tokenizer(JsonNode t, DataSplit split, Path runDir) {
        try {
            Path copy = runDir.resolve("tokenizer.tiktoken"), txt = runDir.resolve(LanguageModels.TOKENIZER_TXT);
            String keptName = Files.isRegularFile(txt) ? Files.readAllLines(txt).stream().findFirst().orElse("").strip() : null;
            if (t.isTextual() && (t.asText().equals("cl100k_base") || t.asText().equals("o200k_base"))) {
                if (keptName != null && !keptName.equals(t.asText())) throw another(runDir, keptName, t);
                return new Kept(BpeTokenizer.named(t.asText()), t.asText(), null, null);
            }
            TiktokenRanks ranks;
            if (t.isObject() && t.size() == 1 && t.path("train").isInt()) {
                ranks = BpeTrainer.train(split.train(), t.get("train").asInt());   // deterministic
            } else if (t.isTextual()) {
                Path source = Path.of(t.asText());
                if (!Files.exists(source) && !source.isAbsolute() && Files.isRegularFile(copy)) source = copy;
                ranks = TiktokenRanks.read(source);
            } else {
                throw new Blt4jException("config: model.tokenizer must be cl100k_base, o200k_base, a tiktoken ranks file"
                        + " or {train: VOCAB}, got " + t);
            }
            String sha = ranks.sha256();
            if (keptName != null && !keptName.equals("tokenizer.tiktoken")) throw another(runDir, keptName, t);
            if (Files.isRegularFile(copy)) {
                String kept = Sha256.ofFile(copy);
                if (!kept.equals(sha)) throw another(runDir, "tokenizer.tiktoken (sha256 " + kept.substring(0, 16) + "…)", t);
            }
            return new Kept(BpeTokenizer.of(ranks), "tokenizer.tiktoken", ranks, sha);
        } catch (IOException e) {
            throw new Blt4jException("run folder " + runDir + ": cannot read its tokenizer (" + e.getMessage() + ")");
        }
    }

    private static Blt4jException another(Path runDir, String kept, JsonNode t) {
        return new Blt4jException("run folder " + runDir + " keeps another tokenizer (" + kept + ") than model.tokenizer " + t
                + " gives now: a resume needs the tokenizer the run trained with (point model.tokenizer at the run's copy,"
                + " " + runDir.resolve("tokenizer.tiktoken") + "); to start afresh give another --out");
    }

    /** The BLT task: entropies of both streams from the config's entropy model (cached next to the data). */
    public static BltTask bltTask(TrainConfig cfg, Streams s, Consumer<String> log) {
        checkBltArgs(cfg);   // before the entropy pass, which may take minutes
        if (cfg.data().entropyModel() == null)
            throw new Blt4jException("config: data.entropy_model is missing: the BLT is patched by a trained entropy model (train one with train-entropy)");
        EntropyModel em = ModelLoader.patcherModel(ModelDirs.resolveModel(Path.of(cfg.data().entropyModel())));
        Path dataFile = Path.of(cfg.data().path());
        ChunkedEntropies.Chunking chunking = ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize());
        ProgressBar bar = new ProgressBar("entropies", s.train().length + (long) s.heldOut().length, "tok");
        long[] base = {0};
        ChunkedEntropies.Progress progress = (done, total) -> bar.update(base[0] + done, base[0] + done);
        EntropyCache.Result tr = EntropyCache.entropies(em, s.train(), dataFile, null, chunking, progress, log);
        base[0] = s.train().length;
        EntropyCache.Result ho = EntropyCache.entropies(em, s.heldOut(), dataFile, null, chunking, progress, log);
        bar.finish();
        log.accept("entropies: " + (tr.computed() ? "computed, cached in " : "loaded from cache ") + tr.file());
        return bltTask(cfg, s, tr.entropies(), ho.entropies(), log);
    }

    /** The config's BLT args bound (and so checked) as they will be, an "auto" threshold standing in as a number. */
    static void checkBltArgs(TrainConfig cfg) {
        com.fasterxml.jackson.databind.node.ObjectNode t = (com.fasterxml.jackson.databind.node.ObjectNode) cfg.model().args().deepCopy();
        if ("auto".equals(t.path("patching_threshold").asText())) t.put("patching_threshold", 1.0);
        bind(t, BltArgs.class);
    }

    /** The BLT task on streams whose per-token entropies (trainH [train], heldH [heldOut]) are already computed. */
    public static BltTask bltTask(TrainConfig cfg, Streams s, float[] trainH, float[] heldH, Consumer<String> log) {
        return bltTask(cfg, s, trainH, heldH, null, log);
    }

    /**
     * The BLT task on a patched dataset's documents and entropies (no entropy model needed): a config threshold of
     * "auto" takes the dataset's own threshold (set on its sample when it was patched); an explicit one is used as given.
     */
    public static BltTask bltTask(TrainConfig cfg, org.blt4j.data.PatchedData.Split data, Consumer<String> log) {
        checkBltArgs(cfg);
        JsonNode p = data.metadata().path("patching");
        Double datasetThreshold = p.path("threshold").isNumber() && p.path("mode").asText().equals("entropy")
                ? p.path("threshold").asDouble() : null;
        String mode = cfg.model().args().path("patching_mode").asText("entropy");
        if (mode.equals("entropy") && data.metadata().path("entropy_model").isMissingNode())
            throw new Blt4jException("the patched dataset was written without an entropy model (mode " + p.path("mode").asText()
                    + "), so it holds no entropies; this config patches by entropy: patch the corpus with --entropy-model DIR");
        if (!p.path("mode").asText().equals(mode))
            log.accept("note: the dataset was patched with mode " + p.path("mode").asText() + "; this config patches with " + mode
                    + " from the dataset's stored entropies");
        return bltTask(cfg, streams(data.docs()), data.trainH(), data.heldOutH(), datasetThreshold, log);
    }

    /** Same; {@code autoThreshold}, when non-null, is what a config threshold of "auto" becomes. */
    public static BltTask bltTask(TrainConfig cfg, Streams s, float[] trainH, float[] heldH, Double autoThreshold, Consumer<String> log) {
        if (trainH.length != s.train().length || heldH.length != s.heldOut().length)
            throw new IllegalArgumentException("entropies do not match the streams");
        com.fasterxml.jackson.databind.node.ObjectNode argsTree = (com.fasterxml.jackson.databind.node.ObjectNode) cfg.model().args().deepCopy();
        if ("auto".equals(argsTree.path("patching_threshold").asText())) {
            double ps = argsTree.path("patch_size").asDouble(4.5);
            if (autoThreshold != null) {
                argsTree.put("patching_threshold", autoThreshold);
                log.accept(String.format("patching_threshold auto: %.4f nats, the patched dataset's", autoThreshold));
            } else {
                double t = autoThreshold(trainH, ps);
                argsTree.put("patching_threshold", t);
                log.accept(String.format("patching_threshold auto: %.4f nats (about one patch start per %.1f bytes on the training data)", t, ps));
            }
        }
        BltArgs args = bind(argsTree, BltArgs.class);
        List<ParamStore.Spec> specs = new java.util.ArrayList<>(ByteLatentTransformer.specs(args));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(args));
        requireTrainable(specs, "BLT");
        ParamStore params = ParamStore.allocate(specs);
        Init.init(params, cfg.train().seed(), false);
        int seqLen = cfg.data().seqLen();
        int patches = cfg.data().maxPatches() != null ? cfg.data().maxPatches() : (int) Math.ceil(seqLen / args.patchSize());
        return new BltTask(new ByteLatentTransformer(args, params, null), s.train(), trainH, s.heldOut(),
                heldH, cfg.data().batchSize(), seqLen, patches, cfg.shuffleSeed());
    }

    /**
     * The global entropy threshold at which about one position in patchSize starts a patch: the (1 − 1/patchSize)
     * quantile of the entropies (the paper tunes its threshold for a target average patch size in the same way).
     */
    public static double autoThreshold(float[] entropies, double patchSize) {
        float[] sorted = entropies.clone();
        java.util.Arrays.sort(sorted);
        int at = (int) Math.min(sorted.length - 1, Math.max(0, Math.round(sorted.length * (1 - 1 / patchSize))));
        return sorted[at];
    }
}
