package org.blt4j.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blt4j.Blt4jException;
import org.blt4j.io.AtomicFiles;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.Json;
import org.blt4j.io.ModelDirs;
import org.blt4j.io.SafeTensors;
import org.blt4j.io.SafeTensorsWriter;
import org.blt4j.io.TensorData;
import org.blt4j.nn.ParamStore;

/**
 * The Hugging Face layout of BltForCausalLM (docs/hf-layout.md) ↔ blt4j's hub layout. Read from huggingface/transformers
 * src/transformers/models/blt/modeling_blt.py @015e68769f9823df27f5f7372dc155277e6ff7e6 (module tree) and
 * convert_blt_weights_to_hf.py @180042d9b405b342fbe36841359f137fbf212d43 (apply_weight_mapping,
 * convert_hash_embeddings_to_fused, merge_weights). Config mapping: {@link HfConfig}.
 *
 * <p>Names: "model." + the hub name with each segment renamed (attention→self_attn, wq→q_proj, w1→gate_proj,
 * w3→up_proj, w2→down_proj, attention_norm→input_layernorm, ffn_norm→post_attention_layernorm,
 * tok_embeddings→embed_tokens, cross_attn_norm_q→q_norm, cross_attn_norm_kv→k_norm, output→lm_head), except
 * local_decoder.output.weight [V, dDec] → lm_head.weight, and the T hash tables encoder_hash_tok_embedding.{t}.weight
 * [Vh, dEnc] → one model.encoder_hash_tok_embedding.weight [T*Vh, dEnc] (table t = rows t*Vh ..). No transposes: the
 * port's RoPE rotates adjacent pairs like the reference, so q/k rows keep their order. The entropy model, when
 * given, is model.patcher.* (its output.weight → model.patcher.lm_head.weight).
 */
public final class HfLayout {
    public static final String HASH = "model.encoder_hash_tok_embedding.weight";
    public static final String PATCHER = "model.patcher.";
    /** Subfolder of a hub-layout output that receives the HF patcher, as an entropy model checkpoint. */
    public static final String ENTROPY_DIR = "entropy_model";

    private static final Map<String, String> SEG = Map.ofEntries(Map.entry("attention", "self_attn"),
            Map.entry("feed_forward", "mlp"), Map.entry("attention_norm", "input_layernorm"),
            Map.entry("ffn_norm", "post_attention_layernorm"), Map.entry("tok_embeddings", "embed_tokens"),
            Map.entry("cross_attn_norm_q", "q_norm"), Map.entry("cross_attn_norm_kv", "k_norm"),
            Map.entry("w1", "gate_proj"), Map.entry("w2", "down_proj"), Map.entry("w3", "up_proj"),
            Map.entry("wq", "q_proj"), Map.entry("wk", "k_proj"), Map.entry("wv", "v_proj"), Map.entry("wo", "o_proj"),
            Map.entry("output", "lm_head"));
    private static final Map<String, String> GES = invert(SEG);

    private HfLayout() {}

    // ---- names ----

    /** HF name of a BLT hub parameter (not a hash table: those fuse into {@link #HASH}). */
    public static String toHfName(String hub) {
        if (hub.equals("local_decoder.output.weight")) return "lm_head.weight";
        return "model." + rename(hub, SEG);
    }

    /** Hub name of an HF BLT parameter other than {@link #HASH} and model.patcher.*. */
    public static String toHubName(String hf) {
        if (hf.equals("lm_head.weight")) return "local_decoder.output.weight";
        if (!hf.startsWith("model.")) throw new Blt4jException("not a BltForCausalLM parameter name: " + hf);
        return rename(hf.substring("model.".length()), GES);
    }

    /** HF name of an entropy model (patcher) parameter. */
    public static String patcherName(String hub) {
        return PATCHER + rename(hub, SEG);
    }

    /** Every HF parameter with its shape, in writing order, for hub args (entropy: the patcher's args or null). */
    public static List<ParamStore.Spec> hfSpecs(BltArgs a, LmArgs entropy) {
        List<ParamStore.Spec> out = new ArrayList<>();
        for (ParamStore.Spec s : ByteLatentTransformer.specs(a)) out.add(new ParamStore.Spec(toHfName(s.name()), s.shape()));
        out.add(new ParamStore.Spec(HASH, Math.multiplyExact(a.numHashTables(), a.encoderHashByteGroupVocab()), a.dimLocalEncoder()));
        if (entropy != null)
            for (ParamStore.Spec s : EntropyModel.specs(entropy)) out.add(new ParamStore.Spec(patcherName(s.name()), s.shape()));
        return out;
    }

    /** Whether {@code dir}'s config.json is an HF BltConfig (no "args", model_type blt or the sub-configs). */
    public static boolean isHf(Path dir) {
        Path f = dir.resolve(Checkpoint.CONFIG);
        if (!Files.isRegularFile(f)) return false;
        try {
            JsonNode root = Json.MAPPER.readTree(f.toFile());
            return root != null && root.isObject() && !root.has("args")
                    && ("blt".equals(root.path("model_type").asText()) || root.has("encoder_config"));
        } catch (IOException e) {
            return false;
        }
    }

    // ---- hub → HF ----

    /** Writes the HF layout of the hub checkpoint {@code hub} (with the entropy model as patcher when given) to a new {@code out}. */
    public static void toHf(Path hub, Path entropy, Path out) {
        ModelLoader.verify(hub);
        if (entropy != null) ModelLoader.verify(entropy);
        JsonNode raw = Checkpoint.rawArgs(hub);
        BltArgs a = Checkpoint.readArgs(hub, BltArgs.class);
        ReferenceArgs.check(raw, hub);
        JsonNode eraw = entropy == null ? null : Checkpoint.rawArgs(entropy);
        LmArgs e = entropy == null ? null : Checkpoint.readArgs(entropy, LmArgs.class);
        ObjectNode cfg = HfConfig.toHf(raw, eraw, hub.resolve(Checkpoint.CONFIG));
        try (SafeTensors st = Checkpoint.weights(hub); SafeTensors est = entropy == null ? null : Checkpoint.weights(entropy)) {
            SafeTensorsWriter w = new SafeTensorsWriter(dtype(st, est)).metadata(st.metadata());
            for (ParamStore.Spec s : ByteLatentTransformer.specs(a)) w.add(toHfName(s.name()), lazy(st, s.name()));
            List<String> tables = ByteLatentTransformer.hashTableSpecs(a).stream().map(ParamStore.Spec::name).toList();
            long per = (long) a.encoderHashByteGroupVocab() * a.dimLocalEncoder();           // elements of one table
            w.add(HASH, TensorData.lazy((start, dst, off, n) -> {
                while (n > 0) {                                                            // a chunk may span tables
                    int t = (int) (start / per);
                    long in = start - t * per;
                    int m = (int) Math.min(n, per - in);
                    st.readFloats(tables.get(t), in, dst, off, m);
                    start += m; off += m; n -= m;
                }
            }, (long) tables.size() * a.encoderHashByteGroupVocab(), a.dimLocalEncoder()));
            if (e != null) for (ParamStore.Spec s : EntropyModel.specs(e)) w.add(patcherName(s.name()), lazy(est, s.name()));
            writeNew(out, stage -> {
                writeJson(stage.resolve(Checkpoint.CONFIG), cfg);
                w.write(stage.resolve(Checkpoint.WEIGHTS));
            });
        }
    }

    // ---- HF → hub ----

    /**
     * Writes the hub layout of the HF folder {@code hf} to a new {@code out}; its patcher, if any, goes to
     * out/{@value #ENTROPY_DIR} as an entropy model checkpoint.
     */
    public static void toHub(Path hf, Path out) {
        Path file = hf.resolve(Checkpoint.CONFIG);
        JsonNode root = readJson(file);
        if (root.has("args")) throw new Blt4jException(file + " has an \"args\" object: " + hf + " is already in the hub layout");
        ObjectNode args = HfConfig.toHub(root, file);
        ObjectNode eargs = HfConfig.patcherToHub(root, file);
        try (SafeTensors st = Checkpoint.weights(hf)) {
            Hub hub = hubTensors(st, args, eargs, file);
            DType dt = dtype(st, null);
            writeNew(out, stage -> {
                writeJson(stage.resolve(Checkpoint.CONFIG), Json.MAPPER.createObjectNode().set("args", args));
                hub.writer(hub.blt(), dt, st.metadata()).write(stage.resolve(Checkpoint.WEIGHTS));
                if (hub.patcher() != null) {
                    Path sub = Files.createDirectory(stage.resolve(ENTROPY_DIR));
                    writeJson(sub.resolve(Checkpoint.CONFIG), Json.MAPPER.createObjectNode().set("args", eargs));
                    hub.writer(hub.patcher(), dt, Map.of()).write(sub.resolve(Checkpoint.WEIGHTS));
                }
            });
        }
    }

    /** Hub name → tensor read lazily from HF weights: the BLT's, and the patcher's (null when none). */
    record Hub(Map<String, TensorData> blt, Map<String, TensorData> patcher) {
        SafeTensorsWriter writer(Map<String, TensorData> m, DType dt, Map<String, String> meta) {
            SafeTensorsWriter w = new SafeTensorsWriter(dt).metadata(meta);
            m.forEach(w::add);
            return w;
        }
    }

    /** The hub tensors of HF weights {@code st} for hub args {@code args} (and eargs or null); every HF tensor must be used. */
    static Hub hubTensors(SafeTensors st, JsonNode args, JsonNode eargs, Path file) {
        BltArgs a = Json.MAPPER.convertValue(args, BltArgs.class);
        ReferenceArgs.check(args, file.getParent());
        Set<String> unused = new LinkedHashSet<>(st.names());
        Map<String, TensorData> blt = new LinkedHashMap<>();
        for (ParamStore.Spec s : ByteLatentTransformer.specs(a)) {
            String name = toHfName(s.name());
            require(st, name, s.shape(), file);
            unused.remove(name);
            blt.put(s.name(), lazy(st, name));
        }
        int tables = a.numHashTables(), v = a.encoderHashByteGroupVocab(), d = a.dimLocalEncoder();
        require(st, HASH, new int[] {Math.multiplyExact(tables, v), d}, file);
        unused.remove(HASH);
        List<ParamStore.Spec> hashSpecs = ByteLatentTransformer.hashTableSpecs(a);
        for (int t = 0; t < tables; t++) {
            long base = (long) t * v * d;                                  // table t = fused rows t*v ..
            blt.put(hashSpecs.get(t).name(), TensorData.lazy((start, dst, off, n) -> st.readFloats(HASH, base + start, dst, off, n), v, d));
        }
        Map<String, TensorData> patcher = null;
        if (eargs != null) {
            LmArgs e = Json.MAPPER.convertValue(eargs, LmArgs.class);
            patcher = new LinkedHashMap<>();
            for (ParamStore.Spec s : EntropyModel.specs(e)) {
                String name = patcherName(s.name());
                require(st, name, s.shape(), file);
                unused.remove(name);
                patcher.put(s.name(), lazy(st, name));
            }
        }
        if (!unused.isEmpty())
            throw new Blt4jException(file.resolveSibling(Checkpoint.WEIGHTS) + " has tensors that " + file.getFileName()
                    + " does not use: " + ModelLoader.quoted(unused) + (unused.size() > 5 ? " and " + (unused.size() - 5) + " more" : ""));
        return new Hub(blt, patcher);
    }

    /** The hub args of the BLT in an HF-layout folder (config.json converted, as {@link #toHub} writes them). */
    public static ObjectNode bltArgs(Path dir) {
        Path file = dir.resolve(Checkpoint.CONFIG);
        return HfConfig.toHub(readJson(file), file);
    }

    /**
     * The patcher of an HF-layout folder (its {@code model.patcher.*} weights and {@code patcher_config}) as an entropy
     * model on the heap; ModelLoader.entropyModel calls this for an HF folder.
     */
    static EntropyModel loadPatcher(Path dir) {
        Path file = dir.resolve(Checkpoint.CONFIG);
        JsonNode root = readJson(file);
        ObjectNode eargs = HfConfig.patcherToHub(root, file);
        if (eargs == null)
            throw new Blt4jException(file + " has no patcher_config (or patch_in_forward is false): this HF folder holds no"
                    + " entropy model; pass the entropy model's own folder");
        ObjectNode args = HfConfig.toHub(root, file);
        try (SafeTensors st = Checkpoint.weights(dir)) {
            Hub hub = hubTensors(st, args, eargs, file);
            for (String n : st.names()) if (n.startsWith(PATCHER)) st.checkFinite(n);
            LmArgs e = Json.MAPPER.convertValue(eargs, LmArgs.class);
            ParamStore params = ParamStore.allocate(EntropyModel.specs(e));
            fill(params, hub.patcher());
            return new EntropyModel(e, params);
        }
    }

    /** Whether {@code dir} is an HF-layout folder that stores a patcher (an entropy model) with its BLT. */
    public static boolean hasPatcher(Path dir) {
        if (!isHf(dir)) return false;
        Path file = dir.resolve(Checkpoint.CONFIG);
        return HfConfig.patcherToHub(readJson(file), file) != null;
    }

    /** Loads the BLT (and the patcher, if any) of an HF folder to check them; a one-line summary. */
    static String verify(Path dir) {
        long n = loadBlt(dir).params().size();
        boolean patcher = HfConfig.patcherToHub(readJson(dir.resolve(Checkpoint.CONFIG)), dir.resolve(Checkpoint.CONFIG)) != null;
        String p = patcher ? String.format(" + %,d of the patcher", loadPatcher(dir).params().size()) : "";
        return String.format("weights %s (Hugging Face layout): %,d parameters of the BLT%s, all finite", Checkpoint.WEIGHTS, n, p);
    }

    /**
     * A BLT from an HF-layout folder, converted in memory: every weight (hash tables included) is read onto the heap
     * under its hub name; the patcher, if any, is not loaded. ModelLoader.blt calls this for an HF folder.
     */
    static ByteLatentTransformer loadBlt(Path dir) {
        Path file = dir.resolve(Checkpoint.CONFIG);
        JsonNode root = readJson(file);
        ObjectNode args = HfConfig.toHub(root, file);
        ObjectNode eargs = HfConfig.patcherToHub(root, file);
        BltArgs a = Json.MAPPER.convertValue(args, BltArgs.class);
        try (SafeTensors st = Checkpoint.weights(dir)) {
            Hub hub = hubTensors(st, args, eargs, file);
            for (String n : st.names()) st.checkFinite(n);
            List<ParamStore.Spec> all = new ArrayList<>(ByteLatentTransformer.specs(a));
            all.addAll(ByteLatentTransformer.hashTableSpecs(a));
            long n = 0;
            for (ParamStore.Spec s : all) n += s.numel();
            ParamStore.requireFits(n, 1, "BLT " + dir);
            ParamStore params = ParamStore.allocate(all);
            fill(params, hub.blt());
            return new ByteLatentTransformer(a, params, null);
        }
    }

    // ---- helpers ----

    /** Every parameter of {@code params} read from its tensor in {@code tensors} (by hub name). */
    private static void fill(ParamStore params, Map<String, TensorData> tensors) {
        for (ParamStore.Param p : params.params()) {
            TensorData t = tensors.get(p.name());
            t.source().read(0, params.data(), p.offset(), Math.toIntExact(t.numel()));
        }
    }

    private static void require(SafeTensors st, String name, int[] shape, Path file) {
        Path wf = file.resolveSibling(Checkpoint.WEIGHTS);
        if (!st.contains(name))
            throw new Blt4jException(wf + " has no tensor '" + name + "' (shape " + Arrays.toString(shape) + ") that " + file.getFileName() + " implies");
        long[] want = Arrays.stream(shape).asLongStream().toArray();
        if (!Arrays.equals(st.info(name).shape(), want))
            throw new Blt4jException(wf + ": tensor '" + name + "' has shape " + Arrays.toString(st.info(name).shape())
                    + " but " + file.getFileName() + " implies " + Arrays.toString(want));
    }

    private static TensorData lazy(SafeTensors st, String name) {
        return TensorData.lazy((start, dst, off, n) -> st.readFloats(name, start, dst, off, n), st.info(name).shape());
    }

    /** The one dtype all tensors share (kept, so converting is lossless and bit-exact), else F32. */
    private static DType dtype(SafeTensors a, SafeTensors b) {
        Set<DType> ds = new LinkedHashSet<>();
        for (SafeTensors st : new SafeTensors[] {a, b}) if (st != null) for (String n : st.names()) ds.add(st.info(n).dtype());
        return ds.size() == 1 ? ds.iterator().next() : DType.F32;
    }

    private static String rename(String name, Map<String, String> map) {
        String[] seg = name.split("\\.", -1);
        for (int i = 0; i < seg.length; i++) seg[i] = map.getOrDefault(seg[i], seg[i]);
        return String.join(".", seg);
    }

    private static Map<String, String> invert(Map<String, String> m) {
        Map<String, String> r = new java.util.HashMap<>();
        m.forEach((k, v) -> r.put(v, k));
        return Map.copyOf(r);
    }

    private static JsonNode readJson(Path file) {
        ModelDirs.requireRegular(file);
        if (!Files.isRegularFile(file)) throw new Blt4jException("no " + file.getFileName() + " at " + file);
        try {
            JsonNode n = Json.MAPPER.readTree(file.toFile());
            if (n == null || !n.isObject()) throw new Blt4jException(file + ": expected a JSON object");
            return n;
        } catch (JacksonException e) {
            throw new Blt4jException(file + " is not valid JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new Blt4jException("cannot read " + file + ": " + e, e);
        }
    }

    private static void writeJson(Path file, JsonNode n) throws IOException {
        Files.write(file, Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(n));
    }

    interface Filler {
        void fill(Path stage) throws IOException;
    }

    /** Fills a hidden sibling folder, then renames it to {@code out}, which must not exist. */
    static void writeNew(Path out, Filler filler) {
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS))
            throw new Blt4jException(target + " already exists: pass a new --out folder");
        AtomicFiles.removeStale(target); // a killed earlier conversion's stage
        Path stage = AtomicFiles.sibling(target, "tmp");
        try {
            Files.createDirectories(target.getParent());
            Files.createDirectory(stage);
            filler.fill(stage);
            AtomicFiles.fsyncDir(stage);
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS))
                throw new Blt4jException(target + " appeared while converting: pass a new --out folder");
            Files.move(stage, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            AtomicFiles.deleteQuietly(stage);
            throw new Blt4jException("cannot write " + target + ": " + e, e);
        } catch (RuntimeException | Error e) {
            AtomicFiles.deleteQuietly(stage);
            throw e;
        }
    }
}
