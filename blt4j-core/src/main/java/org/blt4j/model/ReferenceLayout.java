package org.blt4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.Json;
import org.blt4j.io.ModelDirs;
import org.blt4j.io.SafeTensorsWriter;
import org.blt4j.io.TensorData;
import org.blt4j.io.TorchCheckpoint;
import org.blt4j.nn.ParamStore;

/**
 * The reference trainer's layout (docs/reference-layout.md): a folder with {@code params.json} (the run's TrainArgs)
 * and {@code consolidated.pth} (torch.save of {"model": state_dict, ...}), the entropy model in {@code entropy_model/}
 * beside them. Read from facebookresearch/blt @9774ed4: bytelatent/checkpoint.py (consolidate_checkpoints),
 * generate.py (load_consolidated_model_and_tokenizer: TrainArgs "model", state dict under "model", strict),
 * generate_blt.py (patching from data.patcher_args) and entropy_model.py (load_entropy_model).
 *
 * <p>The BLT's args are params.json's "model" section, with data.patcher_args's patching values in place of the
 * model's patching_* keys (the reference generates with those). The entropy model's args are what load_entropy_model
 * builds: dim, n_layers, n_heads, max_seqlen, ffn_dim_multiplier and vocab_size from params.json's "entropy_model"
 * section, attn_bias_type local_block_causal and sliding_window 512 forced, every other key at LMTransformerArgs's
 * default (multiple_of 256, norm_eps 1e-5, rope_theta 10000, ...), whatever the section says. State-dict names are
 * the hub layout's (both are the reference modules' state_dict()), so no renaming.
 */
public final class ReferenceLayout {
    public static final String PARAMS = ModelDirs.REFERENCE_PARAMS;
    public static final String WEIGHTS = ModelDirs.REFERENCE_WEIGHTS;
    /** The entropy model's folder inside a BLT folder, as the reference's hf.py and the released checkpoints have it. */
    public static final String ENTROPY_DIR = "entropy_model";
    /** What load_entropy_model reads from params.json["entropy_model"]; the rest is ignored. */
    public static final List<String> ENTROPY_KEYS = List.of("dim", "n_layers", "n_heads", "max_seqlen",
            "ffn_dim_multiplier", "vocab_size");
    /** load_entropy_model forces this window and attn_bias_type local_block_causal. */
    public static final int ENTROPY_WINDOW = 512;
    /** data.patcher_args key → the model args key it replaces. */
    private static final Map<String, String> PATCHER_KEYS = Map.of("patching_mode", "patching_mode",
            "threshold", "patching_threshold", "threshold_add", "patching_threshold_add",
            "max_patch_length", "max_patch_length", "patch_size", "patch_size", "monotonicity", "monotonicity");

    private ReferenceLayout() {}

    /** Whether {@code dir} is in the reference layout: params.json and no config.json. */
    public static boolean isReference(Path dir) {
        return Files.isRegularFile(dir.resolve(PARAMS)) && !Files.exists(dir.resolve(Checkpoint.CONFIG));
    }

    /** consolidated/consolidated.pth when present (an unconsolidated run folder after consolidation), else consolidated.pth. */
    public static Path weightsFile(Path dir) {
        Path nested = dir.resolve("consolidated").resolve(WEIGHTS);
        if (Files.isRegularFile(nested)) return nested;
        Path f = dir.resolve(WEIGHTS);
        if (!Files.isRegularFile(f))
            throw new Blt4jException("no " + WEIGHTS + " in " + dir + " (nor consolidated/" + WEIGHTS + ") beside its "
                    + PARAMS + ": a training dump of .distcp shards must be consolidated first"
                    + " (python -m bytelatent.checkpoint consolidate DIR)");
        return f;
    }

    // ---- args ----

    /** Whether the reference folder holds an entropy model (params.json's train_entropy_model), not a BLT. */
    public static boolean isEntropyModel(Path dir) {
        return readParams(dir.resolve(PARAMS)).path("train_entropy_model").asBoolean(false);
    }

    /** The BLT's hub args: params.json "model", with data.patcher_args's patching values. */
    public static ObjectNode bltArgs(Path dir) {
        Path file = dir.resolve(PARAMS);
        ObjectNode root = readParams(file);
        if (root.path("train_entropy_model").asBoolean(false))
            throw new Blt4jException(file + " has train_entropy_model true: " + dir + " is an entropy model; load it as one"
                    + " (--entropy-model, or the BLT folder's " + ENTROPY_DIR + "/)");
        JsonNode model = root.get("model");
        if (model == null || !model.isObject())
            throw new Blt4jException(file + " has no \"model\" object: the reference writes the BLT's args there");
        ObjectNode args = model.deepCopy();
        JsonNode patcher = root.path("data").path("patcher_args");
        if (patcher.isObject())
            PATCHER_KEYS.forEach((from, to) -> {
                if (patcher.has(from)) args.set(to, patcher.get(from));
            });
        ReferenceArgs.check(args, dir, PARAMS + " \"model\"");
        bind(args, BltArgs.class, file, "model");                 // validates before any weight is read
        return args;
    }

    /** The entropy model's hub args, as load_entropy_model builds them (see the class comment). */
    public static ObjectNode entropyArgs(Path dir) {
        Path file = dir.resolve(PARAMS);
        JsonNode sec = readParams(file).get("entropy_model");
        if (sec == null || !sec.isObject())
            throw new Blt4jException(file + " has no \"entropy_model\" object, which the reference's load_entropy_model"
                    + " reads (keys " + ENTROPY_KEYS + ")");
        ObjectNode args = Json.MAPPER.createObjectNode();
        for (String k : ENTROPY_KEYS) {
            if (!sec.has(k))
                throw new Blt4jException(file + ": entropy_model." + k + " is missing; the reference's load_entropy_model"
                        + " reads " + ENTROPY_KEYS + " (add it)");
            args.set(k, sec.get(k));
        }
        args.put("attn_bias_type", "local_block_causal");
        args.put("sliding_window", ENTROPY_WINDOW);
        args.put("attn_impl", "xformers");
        bind(args, LmArgs.class, file, "entropy_model");
        return args;
    }

    // ---- loading ----

    /** A BLT from a reference folder, every weight (hash tables included) read onto the heap as fp32. */
    static ByteLatentTransformer loadBlt(Path dir) {
        BltArgs a = bind(bltArgs(dir), BltArgs.class, dir.resolve(PARAMS), "model");
        List<ParamStore.Spec> all = new ArrayList<>(ByteLatentTransformer.specs(a));
        all.addAll(ByteLatentTransformer.hashTableSpecs(a));
        return new ByteLatentTransformer(a, read(dir, all, true, "BLT"), null);
    }

    /** The entropy model of a reference folder (params.json's "entropy_model" args), on the heap as fp32. */
    static EntropyModel loadEntropyModel(Path dir) {
        LmArgs a = bind(entropyArgs(dir), LmArgs.class, dir.resolve(PARAMS), "entropy_model");
        return new EntropyModel(a, read(dir, EntropyModel.specs(a), false, "entropy model"));
    }

    /** Loads the model to check it; a one-line summary. */
    static String verify(Path dir) {
        boolean entropy = isEntropyModel(dir);
        long n = entropy ? loadEntropyModel(dir).params().size() : loadBlt(dir).params().size();
        return String.format("weights %s: %,d parameters of the %s, all finite", weightsFile(dir).getFileName(), n,
                entropy ? "entropy model" : "BLT");
    }

    /**
     * The specs' tensors of the folder's consolidated.pth, shapes checked, into a new ParamStore.
     *
     * @param strict true: tensors the specs do not name are refused (the BLT's load_state_dict is strict); false:
     *               ignored (load_entropy_model loads with strict=False); missing ones are refused either way
     */
    private static ParamStore read(Path dir, List<ParamStore.Spec> specs, boolean strict, String what) {
        Path wfile = weightsFile(dir);
        ParamStore.requireFits(ParamStore.numel(specs), 1, what + " " + dir);
        ParamStore params = ParamStore.allocate(specs);
        try (TorchCheckpoint ck = TorchCheckpoint.open(wfile)) {
            Map<String, TorchCheckpoint.Tensor> sd = tensors(ck, specs, strict);
            float[] data = params.data();
            for (ParamStore.Param p : params.params()) {
                ck.readFloats(sd.get(p.name()), 0, data, p.offset(), p.numel());
                for (int i = p.offset(); i < p.offset() + p.numel(); i++)
                    if (!Float.isFinite(data[i]))
                        throw new Blt4jException(wfile + ": tensor '" + p.name() + "' holds a non-finite value (" + data[i]
                                + ") at element " + (i - p.offset()));
            }
        }
        return params;
    }

    /** name → tensor for each spec, from the state dict under "model", shapes checked. */
    private static Map<String, TorchCheckpoint.Tensor> tensors(TorchCheckpoint ck, List<ParamStore.Spec> specs, boolean strict) {
        Map<String, TorchCheckpoint.Tensor> sd = ck.stateDict("model");
        Map<String, TorchCheckpoint.Tensor> out = new LinkedHashMap<>();
        for (ParamStore.Spec s : specs) {
            TorchCheckpoint.Tensor t = sd.get(s.name());
            if (t == null)
                throw new Blt4jException(ck.file() + ": the state dict has no tensor '" + s.name() + "' (shape "
                        + Arrays.toString(s.shape()) + ") that " + PARAMS + " implies; is this the right params.json?");
            long[] want = Arrays.stream(s.shape()).asLongStream().toArray();
            if (!Arrays.equals(t.shape(), want))
                throw new Blt4jException(ck.file() + ": tensor '" + s.name() + "' has shape " + Arrays.toString(t.shape())
                        + " but " + PARAMS + " implies " + Arrays.toString(want));
            out.put(s.name(), t);
        }
        if (strict) {
            Set<String> extra = new LinkedHashSet<>(sd.keySet());
            extra.removeAll(out.keySet());
            if (!extra.isEmpty())
                throw new Blt4jException(ck.file() + ": the state dict has tensors " + PARAMS + " does not use: "
                        + extra.stream().limit(5).toList() + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : "")
                        + "; is params.json the one of these weights?");
        }
        return out;
    }

    // ---- reference → hub ----

    /**
     * The entropy model that goes with the BLT folder {@code ref}: ref/entropy_model/ (as hf.py's conversion reads
     * it), else a sibling entropy_model/ (facebook/blt's snapshot: blt_1b/, blt_7b/ and entropy_model/ side by side,
     * as demo.py reads it); null when neither is a reference folder.
     */
    public static Path entropyDirOf(Path ref) {
        Path inside = ref.resolve(ENTROPY_DIR);
        if (isReference(inside)) return inside;
        Path sibling = ref.toAbsolutePath().normalize().resolveSibling(ENTROPY_DIR);
        return isReference(sibling) && !sibling.equals(ref.toAbsolutePath().normalize()) ? sibling : null;
    }

    /**
     * Writes the hub layout of the reference folder {@code ref} to a new {@code out}: config.json {"args"} and
     * model.safetensors (in the dtype all its tensors share, else F32); for a BLT, its entropy model
     * ({@link #entropyDirOf}) as out/entropy_model/. An entropy model folder (train_entropy_model true) converts alone.
     */
    public static void toHub(Path ref, Path out) {
        if (readParams(ref.resolve(PARAMS)).path("train_entropy_model").asBoolean(false)) {
            ObjectNode eargs = entropyArgs(ref);
            List<ParamStore.Spec> especs = EntropyModel.specs(bind(eargs, LmArgs.class, ref.resolve(PARAMS), "entropy_model"));
            try (TorchCheckpoint eck = TorchCheckpoint.open(weightsFile(ref))) {
                Map<String, TorchCheckpoint.Tensor> et = tensors(eck, especs, false);
                HfLayout.writeNew(out, stage -> writeHub(stage, eargs, eck, et));
            }
            return;
        }
        ObjectNode args = bltArgs(ref);
        BltArgs a = bind(args, BltArgs.class, ref.resolve(PARAMS), "model");
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(a));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(a));
        Path eref = entropyDirOf(ref);
        boolean hasEntropy = eref != null;
        ObjectNode eargs = hasEntropy ? entropyArgs(eref) : null;
        List<ParamStore.Spec> especs = hasEntropy ? EntropyModel.specs(bind(eargs, LmArgs.class, eref.resolve(PARAMS), "entropy_model")) : null;
        try (TorchCheckpoint ck = TorchCheckpoint.open(weightsFile(ref));
             TorchCheckpoint eck = hasEntropy ? TorchCheckpoint.open(weightsFile(eref)) : null) {
            Map<String, TorchCheckpoint.Tensor> bt = tensors(ck, specs, true);
            Map<String, TorchCheckpoint.Tensor> et = hasEntropy ? tensors(eck, especs, false) : null;
            HfLayout.writeNew(out, stage -> {
                writeHub(stage, args, ck, bt);
                if (hasEntropy) writeHub(Files.createDirectory(stage.resolve(ENTROPY_DIR)), eargs, eck, et);
            });
        }
    }

    private static void writeHub(Path dir, ObjectNode args, TorchCheckpoint ck, Map<String, TorchCheckpoint.Tensor> ts) throws IOException {
        Set<DType> dtypes = new LinkedHashSet<>();
        ts.values().forEach(t -> dtypes.add(t.dtype()));
        SafeTensorsWriter w = new SafeTensorsWriter(dtypes.size() == 1 ? dtypes.iterator().next() : DType.F32);
        ts.forEach((name, t) -> w.add(name, TensorData.lazy((start, dst, off, n) -> ck.readFloats(t, start, dst, off, n), t.shape())));
        w.write(dir.resolve(Checkpoint.WEIGHTS));
        Files.write(dir.resolve(Checkpoint.CONFIG),
                Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(Json.MAPPER.createObjectNode().set("args", args)));
    }

    // ---- helpers ----

    private static ObjectNode readParams(Path file) {
        if (!Files.isRegularFile(file)) throw new Blt4jException("no " + PARAMS + " at " + file);
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new Blt4jException(file + ": expected a JSON object (the reference's TrainArgs)");
            return (ObjectNode) n;
        } catch (JacksonException e) {
            throw new Blt4jException(file + " is not valid JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    /** args as {@code type}; a validation error names the file and the section. */
    private static <T> T bind(JsonNode args, Class<T> type, Path file, String section) {
        try {
            return Json.MAPPER.treeToValue(args, type);
        } catch (JacksonException | IllegalArgumentException e) {
            for (Throwable c = e; c != null; c = c.getCause())
                if (c instanceof Blt4jException b)
                    throw new Blt4jException(file + " \"" + section + "\": " + b.getMessage().replaceFirst("^config: ", ""), b);
            String what = e instanceof JacksonException j ? Json.describe(j) : String.valueOf(e.getMessage());
            throw new Blt4jException(file + ": cannot read \"" + section + "\" as " + type.getSimpleName() + ": " + what, e);
        }
    }
}
