package org.blt4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Int8Matrix;
import org.blt4j.tensor.RowTable;

/**
 * Loads models from hub-layout checkpoint folders (config.json {"args": ...} + model.safetensors), in any stored
 * dtype (F32, BF16, F16), converting to fp32 on the heap. The BLT's hash tables can stay memory-mapped. Folders in the
 * Hugging Face layout (HfLayout) and the reference trainer's (ReferenceLayout) are read onto the heap. A folder
 * written by {@link Quantizer} (config.json "quantization", docs/int8.md) keeps its int8 weights and their scales
 * mapped and is for inference only.
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static EntropyModel entropyModel(Path dir) {
        return entropyModel(dir, false);
    }

    /**
     * {@link #entropyModel}, for patching: it must predict bytes (vocab_size 260, the byte ids), not BPE tokens: a
     * token LM's next-token entropies are no next-byte entropies (it was taken, and gave patches that mean nothing).
     */
    public static EntropyModel patcherModel(Path dir) {
        EntropyModel m = entropyModel(dir);
        if (m.args().vocabSize() != org.blt4j.text.ByteTokenizer.VOCAB_SIZE) {
            m.close();
            throw new Blt4jException(dir + " is not a byte-level entropy model: its vocab_size is " + m.args().vocabSize()
                    + ", not " + org.blt4j.text.ByteTokenizer.VOCAB_SIZE + " (a token LM?); patching needs a model of the next byte");
        }
        return m;
    }

    /**
     * @param mapBf16 true: the 2-D weights stored as bf16 (all but the embeddings) stay mapped and are read in place
     *                by every product (inference only; the file stays open for the model's lifetime)
     */
    public static EntropyModel entropyModel(Path dir, boolean mapBf16) {
        if (ReferenceLayout.isReference(dir)) return ReferenceLayout.loadEntropyModel(dir);   // reference layout: on the heap
        if (HfLayout.isHf(dir)) return HfLayout.loadPatcher(dir);                             // the HF folder's patcher
        if (Checkpoint.rawArgs(dir).has("dim_global"))
            throw new Blt4jException(dir + " holds a BLT (its config has dim_global), not an entropy model: pass it as the"
                    + " model, and the entropy model (config with dim and n_layers) as the entropy model");
        LmArgs args = Checkpoint.readArgs(dir, LmArgs.class);
        Quantization quant = Quantization.of(dir);
        SafeTensors st = Checkpoint.weights(dir);
        List<ParamStore.Spec> specs = EntropyModel.specs(args);
        Map<String, Int8Matrix> int8 = int8Weights(st, specs, quant, dir);
        checkNoExtra(st, withScales(specs, quant), dir);
        checkFinite(st);
        Map<String, MemorySegment> mapped = mapBf16 ? bf16Weights(st, specs, dir) : Map.of();
        Set<String> inPlace = new java.util.HashSet<>(mapped.keySet());
        inPlace.addAll(int8.keySet());
        requireFits(specs, inPlace, "entropy model " + dir);
        ParamStore params = fill(ParamStore.allocate(specs, mapped, int8), st, dir);
        if (inPlace.isEmpty()) st.close();
        else params.attach(st);                          // unmapped by EntropyModel.close
        return new EntropyModel(args, params);
    }

    /** The 2-D weights of specs that the file stores as bf16, except embedding tables (read by rows, kept on the heap). */
    private static Map<String, MemorySegment> bf16Weights(SafeTensors st, List<ParamStore.Spec> specs, Path dir) {
        Map<String, MemorySegment> out = new LinkedHashMap<>();
        for (ParamStore.Spec s : specs) {
            if (s.shape().length != 2 || s.name().contains("tok_embeddings") || !st.contains(s.name())) continue;
            requireShape(st, s, dir);
            if (st.info(s.name()).dtype() == DType.I8) continue; // int8 weights: int8Weights
            if (st.info(s.name()).dtype() == DType.BF16) out.put(s.name(), st.segment(s.name()));
        }
        return out;
    }

    /**
     * @param mapHashTables true: hash tables are read from the mapped file (inference; the file stays open for the
     *                      model's lifetime); false: they are copied into the parameter buffer (training).
     */
    public static ByteLatentTransformer blt(Path dir, boolean mapHashTables) {
        return blt(dir, mapHashTables, false);
    }

    /**
     * @param mapHashTables true: hash tables are read from the mapped file (inference; the file stays open for the
     *                      model's lifetime); false: they are copied into the parameter buffer (training).
     * @param mapBf16       true (with mapHashTables): the other 2-D weights stored as bf16 stay mapped too and are read
     *                      in place by every product (inference only)
     */
    public static ByteLatentTransformer blt(Path dir, boolean mapHashTables, boolean mapBf16) {
        if (HfLayout.isHf(dir)) return HfLayout.loadBlt(dir);   // Hugging Face layout: converted in memory, on the heap
        if (ReferenceLayout.isReference(dir)) return ReferenceLayout.loadBlt(dir);   // reference layout: on the heap
        JsonNode raw = Checkpoint.rawArgs(dir);
        if (!raw.has("dim_global") && raw.has("dim") && raw.has("n_layers"))
            throw new Blt4jException(dir + " holds an entropy model or byte LM (its config has dim and n_layers, no"
                    + " dim_global), not a BLT: pass it as the entropy model (--entropy-model), and the BLT as the model");
        BltArgs args = Checkpoint.readArgs(dir, BltArgs.class);
        ReferenceArgs.check(Checkpoint.rawArgs(dir), dir);
        Quantization quant = Quantization.of(dir);
        if (quant != null && !mapHashTables)
            throw new Blt4jException("checkpoint " + dir + " holds int8 weights (config.json \"" + Quantization.KEY
                    + "\"): it is for inference only; train from the fp32/bf16 checkpoint it was quantized from");
        SafeTensors st = Checkpoint.weights(dir);
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(args));
        List<ParamStore.Spec> hashSpecs = ByteLatentTransformer.hashTableSpecs(args);
        List<ParamStore.Spec> all = new ArrayList<>(specs);
        all.addAll(hashSpecs);
        Map<String, Int8Matrix> int8 = int8Weights(st, all, quant, dir);
        checkNoExtra(st, withScales(all, quant), dir);
        checkFinite(st);
        if (!mapHashTables) {
            requireFits(all, Set.of(), "BLT " + dir);
            ParamStore params = fill(ParamStore.allocate(all), st, dir);
            st.close();
            return new ByteLatentTransformer(args, params, null);
        }
        Map<String, MemorySegment> mapped = mapBf16 ? bf16Weights(st, specs, dir) : Map.of();
        Set<String> inPlace = new java.util.HashSet<>(mapped.keySet());
        inPlace.addAll(int8.keySet());
        requireFits(specs, inPlace, "BLT " + dir);
        ParamStore params = fill(ParamStore.allocate(specs, mapped, int8), st, dir);
        List<RowTable> tables = new ArrayList<>();
        for (ParamStore.Spec s : hashSpecs) {
            requireShape(st, s, dir);
            tables.add(st.rows(s.name()));
        }
        if (tables.isEmpty() && inPlace.isEmpty()) st.close();
        else params.attach(st);                          // unmapped by ByteLatentTransformer.close
        return new ByteLatentTransformer(args, params, tables);
    }

    /**
     * Checks without loading that the checkpoint in {@code dir} is usable: its weights file opens (header valid, every
     * tensor's bytes inside the file), holds exactly the tensors config.json implies with their shapes, and only
     * finite numbers (scanned in place). Returns a one-line summary.
     */
    public static String verify(Path dir) {
        if (ReferenceLayout.isReference(dir)) return ReferenceLayout.verify(dir);
        if (HfLayout.isHf(dir)) return HfLayout.verify(dir);
        boolean blt = Checkpoint.rawArgs(dir).has("dim_global");
        List<ParamStore.Spec> specs = new ArrayList<>();
        if (blt) {
            BltArgs a = Checkpoint.readArgs(dir, BltArgs.class);
            ReferenceArgs.check(Checkpoint.rawArgs(dir), dir);
            specs.addAll(ByteLatentTransformer.specs(a));
            specs.addAll(ByteLatentTransformer.hashTableSpecs(a));
        } else specs.addAll(EntropyModel.specs(Checkpoint.readArgs(dir, LmArgs.class)));
        Quantization quant = Quantization.of(dir);
        try (SafeTensors st = Checkpoint.weights(dir)) {
            Map<String, Int8Matrix> int8 = int8Weights(st, specs, quant, dir);
            List<ParamStore.Spec> stored = withScales(specs, quant);
            checkNoExtra(st, stored, dir);
            Set<DType> dtypes = new java.util.TreeSet<>();
            long bytes = 0;
            for (ParamStore.Spec s : specs) {
                if (!int8.containsKey(s.name())) requireShape(st, s, dir);
                dtypes.add(st.info(s.name()).dtype());
                bytes += st.info(s.name()).byteLength();
                if (int8.containsKey(s.name())) bytes += st.info(s.name() + Quantization.SCALES).byteLength();
            }
            checkFinite(st);
            return String.format("weights %s: %d tensors, %,d bytes of %s, all finite%s", st.path().getFileName(),
                    stored.size(), bytes, dtypes, quant == null ? ""
                            : String.format("; int8 (block %d): %d weights with their scales", quant.block(), int8.size()));
        }
    }

    /**
     * The hub args (what a hub config.json holds under "args") of a model folder in any layout this class loads: hub,
     * Hugging Face (the BLT's args) or the reference trainer's (the BLT's, or the entropy model's as the reference's
     * load_entropy_model builds them).
     */
    public static JsonNode args(Path dir) {
        if (HfLayout.isHf(dir)) return HfLayout.bltArgs(dir);
        if (ReferenceLayout.isReference(dir))
            return ReferenceLayout.isEntropyModel(dir) ? ReferenceLayout.entropyArgs(dir) : ReferenceLayout.bltArgs(dir);
        return Checkpoint.rawArgs(dir);
    }

    /** Whether the model folder (any layout) holds a BLT rather than an entropy / byte / token LM. */
    public static boolean isBlt(Path dir) {
        return args(dir).has("dim_global");
    }

    /** The parsed {@link #args} of a folder holding a BLT or an LM. */
    public static <T> T args(Path dir, Class<T> type) {
        JsonNode raw = args(dir);
        if (HfLayout.isHf(dir) || ReferenceLayout.isReference(dir)) return org.blt4j.io.Json.MAPPER.convertValue(raw, type);
        return Checkpoint.readArgs(dir, type);
    }

    /**
     * The int8 weights of a quantized folder, read in place: every parameter {@link Quantization#quantizes} must be
     * stored as I8 [N, K] with its scales F32 [N, ceil(K/B)]. Without quantization no tensor may be I8. Closes st on error.
     */
    private static Map<String, Int8Matrix> int8Weights(SafeTensors st, List<ParamStore.Spec> specs, Quantization q, Path dir) {
        try {
            Map<String, Int8Matrix> out = new LinkedHashMap<>();
            String file = "checkpoint " + dir + ": " + Checkpoint.WEIGHTS;
            for (ParamStore.Spec s : specs) {
                if (!st.contains(s.name())) continue; // requireShape names it later
                DType t = st.info(s.name()).dtype();
                boolean quantized = q != null && Quantization.quantizes(s);
                if (!quantized) {
                    if (t == DType.I8)
                        throw new Blt4jException(file + ": tensor '" + s.name() + "' is I8, but " + (q == null
                                ? Checkpoint.CONFIG + " has no \"" + Quantization.KEY + "\" entry; was it written by ./blt4j quantize?"
                                : "only linear weights are quantized (docs/int8.md); this one must stay a float type"));
                    continue;
                }
                requireShape(st, s, dir);
                if (t != DType.I8)
                    throw new Blt4jException(file + ": tensor '" + s.name() + "' is " + t + ", but " + Checkpoint.CONFIG
                            + " \"" + Quantization.KEY + "\" says linear weights are I8; re-run ./blt4j quantize on the original");
                int n = s.shape()[0], k = s.shape()[1];
                String sn = s.name() + Quantization.SCALES;
                if (!st.contains(sn))
                    throw new Blt4jException(file + " has no tensor '" + sn + "' (F32 [" + n + ", " + q.blocks(k)
                            + "]), the scales of int8 weight '" + s.name() + "'; re-run ./blt4j quantize on the original");
                var si = st.info(sn);
                if (si.dtype() != DType.F32 || !java.util.Arrays.equals(si.shape(), new long[] {n, q.blocks(k)}))
                    throw new Blt4jException(file + ": tensor '" + sn + "' is " + si.dtype() + " " + si.shapeString()
                            + ", but block " + q.block() + " (" + Checkpoint.CONFIG + " \"" + Quantization.KEY
                            + "\") needs F32 [" + n + ", " + q.blocks(k) + "]");
                st.checkFinite(sn);
                try {
                    out.put(s.name(), Int8Matrix.mapped(st.segment(s.name()), st.segment(sn), n, k, q.block()).checkScales());
                } catch (Blt4jException e) {
                    throw new Blt4jException(file + ": int8 weight '" + s.name() + "': " + e.getMessage(), e);
                }
            }
            return out;
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /** The specs plus, for a quantized folder, the scales tensor of every quantized weight (names the file may hold). */
    private static List<ParamStore.Spec> withScales(List<ParamStore.Spec> specs, Quantization q) {
        if (q == null) return specs;
        List<ParamStore.Spec> out = new ArrayList<>(specs);
        for (ParamStore.Spec s : specs)
            if (Quantization.quantizes(s))
                out.add(new ParamStore.Spec(s.name() + Quantization.SCALES, s.shape()[0], q.blocks(s.shape()[1])));
        return out;
    }

    /** The heap must hold the specs' fp32 values, except those read in place from the mapped file. */
    private static void requireFits(List<ParamStore.Spec> specs, Set<String> mapped, String what) {
        long n = 0;
        for (ParamStore.Spec s : specs) if (!mapped.contains(s.name())) n += s.numel();
        ParamStore.requireFits(n, 1, what);
    }

    static ParamStore fill(ParamStore params, SafeTensors st, Path dir) {
        for (ParamStore.Param p : params.params()) {
            if (params.isMapped(p.name())) continue;
            requireShape(st, new ParamStore.Spec(p.name(), p.shape()), dir);
            st.readFloats(p.name(), params.data(), p.offset());
        }
        return params;
    }

    private static void requireShape(SafeTensors st, ParamStore.Spec s, Path dir) {
        if (!st.contains(s.name()))
            throw new Blt4jException("checkpoint " + dir + ": model.safetensors has no tensor '" + s.name()
                    + "' (shape " + java.util.Arrays.toString(s.shape()) + ") that config.json implies; is this the right config?");
        long[] shape = st.info(s.name()).shape();
        long[] want = new long[s.shape().length];
        for (int i = 0; i < want.length; i++) want[i] = s.shape()[i];
        if (!java.util.Arrays.equals(shape, want))
            throw new Blt4jException("checkpoint " + dir + ": tensor '" + s.name() + "' has shape "
                    + java.util.Arrays.toString(shape) + " but config.json implies " + java.util.Arrays.toString(want));
    }

    /** Every tensor holds finite numbers only (a NaN weight would turn every output into NaN); closes st if not. */
    private static void checkFinite(SafeTensors st) {
        try {
            for (String name : st.names()) st.checkFinite(name);
        } catch (Blt4jException e) {
            st.close();
            throw e;
        }
    }

    /** The first 5 names, each in quotes (a tensor named "" showed as []). */
    static String quoted(Set<String> names) {
        return names.stream().limit(5).map(n -> "'" + n + "'").collect(java.util.stream.Collectors.joining(", ", "[", "]"));
    }

    private static void checkNoExtra(SafeTensors st, List<ParamStore.Spec> specs, Path dir) {
        Set<String> extra = new LinkedHashSet<>(st.names());
        for (ParamStore.Spec s : specs) extra.remove(s.name());
        if (!extra.isEmpty())
            throw new Blt4jException("checkpoint " + dir + ": model.safetensors has tensors the config does not use: "
                    + quoted(extra) + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : "")
                    + "; is config.json the one of these weights?");
    }
}
