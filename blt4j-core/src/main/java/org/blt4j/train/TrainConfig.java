package org.blt4j.train;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blt4j.Blt4jException;

/**
 * A training run's configuration, read from YAML or JSON:
 * <pre>
 * model: {args: {...}, tokenizer}  # model arguments in the hub layout (config.json's "args"); tokenizer: the token
 *                                # LM's (train-token only): cl100k_base, o200k_base, a tiktoken ranks file, or
 *                                # {train: VOCAB} (a BPE trained on the training split)
 * optim: {lr, betas, weight_decay, eps, clip, schedule, warmup, lr_min_ratio, decay_fraction}
 * data:  {path, heldout_fraction, seq_len, batch_size, entropy_model, max_patches, shuffle}
 *                                # shuffle (default true): rows in a seeded order per epoch; false: in stream order
 * train: {steps, minutes, checkpoint_every, keep, eval_every, eval_bytes, log_every, seed, out}
 * </pre>
 * Command-line overrides {@code section.key=value} are applied to the tree before it is bound. Every key is used: an
 * unknown one (anywhere, model.args included) is refused with the list of known keys; the BLT's patching is set in
 * model.args (patching_mode, patching_threshold, ...) and the data is patched by data.entropy_model.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record TrainConfig(Model model, Optim optim, Data data, Train train) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Model(JsonNode args, JsonNode tokenizer) {}

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Optim(Double lr, List<Double> betas, Double weightDecay, Double eps, Double clip, LrSchedule.Kind schedule,
                        Integer warmup, Double lrMinRatio, Double decayFraction) {
        public Optim {
            if (lr == null) lr = 3e-3;
            if (betas == null) betas = List.of(0.9, 0.95);
            if (weightDecay == null) weightDecay = 0.1;
            if (eps == null) eps = 1e-8;
            if (clip == null) clip = 1.0;
            if (schedule == null) schedule = LrSchedule.Kind.COSINE;
            if (warmup == null) warmup = 0;
            if (lrMinRatio == null) lrMinRatio = 0.1;
            if (decayFraction == null) decayFraction = 0.2;
            if (!(lr > 0)) throw new Blt4jException("config: optim.lr must be > 0, got " + lr);
            if (betas.size() != 2) throw new Blt4jException("config: optim.betas must be two numbers, got " + betas);
            if (warmup < 0) throw new Blt4jException("config: optim.warmup must be >= 0, got " + warmup);
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Data(String path, Double heldoutFraction, Integer seqLen, Integer batchSize, String entropyModel,
                       Integer maxPatches, Boolean shuffle) {
        public Data {
            if (shuffle == null) shuffle = true;
            if (path == null) throw new Blt4jException("config: data.path is missing (a .txt, .gz or .jsonl file)");
            if (heldoutFraction == null) heldoutFraction = 0.1;
            if (seqLen == null) seqLen = 256;
            if (batchSize == null) batchSize = 8;
            if (!(heldoutFraction > 0 && heldoutFraction < 1))
                throw new Blt4jException("config: data.heldout_fraction must be in (0, 1), got " + heldoutFraction);
            if (seqLen < 2 || seqLen > MAX_SEQ_LEN)
                throw new Blt4jException("config: data.seq_len must be in [2, " + MAX_SEQ_LEN + "], got " + seqLen);
            if (batchSize < 1) throw new Blt4jException("config: data.batch_size must be >= 1, got " + batchSize);
            if (maxPatches != null && maxPatches < 2) throw new Blt4jException("config: data.max_patches must be >= 2, got " + maxPatches);
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Train(Integer steps, Double minutes, Integer checkpointEvery, Integer keep, Integer evalEvery,
                        Integer evalBytes, Integer logEvery, Long seed, String out) {
        public Train {
            if (steps == null && minutes == null) steps = 1000;
            if (checkpointEvery == null) checkpointEvery = 200;
            if (keep == null) keep = 2;
            if (evalEvery == null) evalEvery = 100;
            if (evalBytes == null) evalBytes = 1 << 16;
            if (logEvery == null) logEvery = 10;
            if (seed == null) seed = 42L;
            if (out == null) out = "runs/run";
            if (steps != null && steps < 1) throw new Blt4jException("config: train.steps must be >= 1, got " + steps);
            if (minutes != null && !(minutes > 0 && Double.isFinite(minutes)))
                throw new Blt4jException("config: train.minutes must be a finite number > 0, got " + minutes);
            if (keep < 1) throw new Blt4jException("config: train.keep must be >= 1, got " + keep);
            if (evalBytes < 1) throw new Blt4jException("config: train.eval_bytes must be >= 1, got " + evalBytes);
            if (checkpointEvery < 1 || evalEvery < 1 || logEvery < 1)
                throw new Blt4jException("config: train.checkpoint_every, eval_every and log_every must be >= 1");
        }
    }

    /** the longest training row: 2^24 bytes (a row's activations are arrays of seq_len × width floats) */
    public static final int MAX_SEQ_LEN = 1 << 24;

    public TrainConfig {
        if (model == null || model.args() == null || !model.args().isObject())
            throw new Blt4jException("config: model.args is missing: give the model arguments as in a checkpoint's config.json");
        if (optim == null) optim = new Optim(null, null, null, null, null, null, null, null, null);
        if (data == null) throw new Blt4jException("config: the data section is missing (data.path at least)");
        if (train == null) train = new Train(null, null, null, null, null, null, null, null, null);
    }

    private static final ObjectMapper JSON = org.blt4j.io.Json.MAPPER;
    private static final ObjectMapper YAML = org.blt4j.io.Json.YAML;

    /** Reads a YAML (.yaml/.yml) or JSON file and applies {@code a.b.c=value} overrides (values parsed as YAML scalars). */
    public static TrainConfig load(Path file, List<String> overrides) {
        if (!Files.isRegularFile(file)) throw new Blt4jException("config " + file + ": no such file");
        JsonNode tree;
        try {
            String name = file.getFileName().toString();
            tree = (name.endsWith(".json") ? JSON : YAML).readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new Blt4jException("config " + file + " does not parse: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        } catch (IOException e) {
            throw new Blt4jException("config " + file + ": cannot read (" + e.getMessage() + ")");
        }
        if (tree == null || !tree.isObject()) throw new Blt4jException("config " + file + ": expected a mapping at the top level");
        return fromTree((ObjectNode) tree, overrides, file.toString());
    }

    public static TrainConfig fromTree(ObjectNode tree, List<String> overrides, String where) {
        for (String o : overrides) applyOverride(tree, o);
        dropNulls(tree);   // null means unset (state.json of older runs wrote every unset key, data.patching included)
        try {
            return JSON.treeToValue(tree, TrainConfig.class);
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            Throwable c = e.getCause();
            throw c instanceof Blt4jException b ? b : new Blt4jException("config " + where + ": " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new Blt4jException("config " + where + ": unknown key '" + e.getPropertyName() + "' (known: " + e.getKnownPropertyIds() + ")");
        } catch (JsonProcessingException e) {
            throw new Blt4jException("config " + where + ": " + e.getOriginalMessage());
        }
    }

    private static void dropNulls(JsonNode n) {
        if (!n.isObject()) return;
        n.properties().removeIf(e -> e.getValue().isNull());
        n.forEach(TrainConfig::dropNulls);
    }

    /** key.path=value; the value is read as a YAML scalar/flow value (numbers, booleans, lists). */
    static void applyOverride(ObjectNode tree, String override) {
        int eq = override.indexOf('=');
        if (eq <= 0) throw new Blt4jException("override '" + override + "' must look like section.key=value");
        String[] path = override.substring(0, eq).split("\\.");
        JsonNode value;
        try {
            value = YAML.readTree(override.substring(eq + 1));
        } catch (JsonProcessingException e) {
            throw new Blt4jException("override '" + override + "': value does not parse");
        }
        ObjectNode node = tree;
        for (int i = 0; i < path.length - 1; i++) {
            JsonNode child = node.get(path[i]);
            if (child == null || !child.isObject()) child = node.putObject(path[i]);
            node = (ObjectNode) child;
        }
        node.set(path[path.length - 1], value == null || value.isMissingNode() ? JSON.nullNode() : value);
    }

    /** The data iterator's shuffle seed: train.seed, or null (rows in stream order) when data.shuffle is false. */
    public Long shuffleSeed() {
        return data.shuffle() ? train.seed() : null;
    }

    public ObjectNode toTree() {
        return JSON.valueToTree(this);
    }

    /**
     * Keys that may differ from a run's saved config when it is resumed: how long to go on (steps, minutes), where the
     * run folder is (it is the resumed one) and how often to log, evaluate and checkpoint. None of them changes what
     * was computed so far; a new train.steps re-targets the LR schedule to the new length. Every other key (model,
     * optimizer, data, seed) must be as saved, or the resumed run would not continue the one it resumes.
     */
    public static final java.util.Set<String> RESUMABLE = java.util.Set.of("train.steps", "train.minutes", "train.out",
            "train.checkpoint_every", "train.keep", "train.eval_every", "train.eval_bytes", "train.log_every");

    /** This config resumed in {@code runDir}: its train.out becomes that folder. */
    public TrainConfig inRun(Path runDir) {
        Train t = train;
        return new TrainConfig(model, optim, data, new Train(t.steps(), t.minutes(), t.checkpointEvery(), t.keep(),
                t.evalEvery(), t.evalBytes(), t.logEvery(), t.seed(), runDir.toString()));
    }

    /** The dotted keys (defaults filled in) whose values differ between this config and {@code saved}, except {@link #RESUMABLE}. */
    public List<String> changedFrom(TrainConfig saved) {
        java.util.Map<String, JsonNode> a = new java.util.TreeMap<>(), b = new java.util.TreeMap<>();
        flatten("", toTree(), a);
        flatten("", saved.toTree(), b);
        java.util.TreeSet<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        List<String> changed = new java.util.ArrayList<>();
        for (String k : keys) {
            if (RESUMABLE.contains(k)) continue;
            JsonNode x = a.get(k), y = b.get(k);
            boolean same = x == null || y == null ? x == y
                    : x.isNumber() && y.isNumber() ? x.doubleValue() == y.doubleValue() : x.equals(y);
            if (!same) changed.add(k + " (" + (y == null ? "unset" : y) + " -> " + (x == null ? "unset" : x) + ")");
        }
        return changed;
    }

    private static void flatten(String prefix, JsonNode n, java.util.Map<String, JsonNode> out) {
        if (n.isObject()) n.properties().forEach(e -> flatten(prefix + e.getKey() + ".", e.getValue(), out));
        else if (!n.isNull()) out.put(prefix.substring(0, prefix.length() - 1), n);
    }
}
