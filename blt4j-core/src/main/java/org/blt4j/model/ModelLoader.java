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
import org.blt4j.tensor.RowTable;

/**
 * Loads models from hub-layout checkpoint folders (config.json {"args": ...} + model.safetensors), in any stored
 * dtype (F32, BF16, F16), converting to fp32 on the heap. The BLT's hash tables can stay memory-mapped. Folders in the
 * Hugging Face layout (HfLayout) and the reference trainer's (ReferenceLayout) are read onto the heap.
 */
public final class ModelLoader {
    private ModelLoader() {}

    public static EntropyModel entropyModel(Path dir) {
        return entropyModel(dir, false);
    }

    /**
     * @param mapBf16 true: the 2-D weights stored as bf16 (all but the embeddings) stay mapped and are read in place
     *                by every product (inference only; the file stays open for the model's lifetime)
     */
    public static EntropyModel entropyModel(Path dir, boolean mapBf16) {
        if (ReferenceLayout.isReference(dir)) return ReferenceLayout.loadEntropyModel(dir);   // reference layout: on the heap
        if (HfLayout.isHf(dir)) return HfLayout.loadPatcher(dir);                             // the HF folder's patcher
        LmArgs args = Checkpoint.readArgs(dir, LmArgs.class);
        SafeTensors st = Checkpoint.weights(dir);
        checkNoExtra(st, EntropyModel.specs(args), dir);
        checkFinite(st);
        Map<String, MemorySegment> mapped = mapBf16 ? bf16Weights(st, EntropyModel.specs(args), dir) : Map.of();
        requireFits(EntropyModel.specs(args), mapped.keySet(), "entropy model " + dir);
        ParamStore params = fill(ParamStore.allocate(EntropyModel.specs(args), mapped), st, dir);
        if (mapped.isEmpty()) st.close();
        return new EntropyModel(args, params);
    }

    /** The 2-D weights of specs that the file stores as bf16, except embedding tables (read by rows, kept on the heap). */
    private static Map<String, MemorySegment> bf16Weights(SafeTensors st, List<ParamStore.Spec> specs, Path dir) {
        Map<String, MemorySegment> out = new LinkedHashMap<>();
        for (ParamStore.Spec s : specs) {
            if (s.shape().length != 2 || s.name().contains("tok_embeddings") || !st.contains(s.name())) continue;
            requireShape(st, s, dir);
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
        BltArgs args = Checkpoint.readArgs(dir, BltArgs.class);
        ReferenceArgs.check(Checkpoint.rawArgs(dir), dir);
        SafeTensors st = Checkpoint.weights(dir);
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(args));
        List<ParamStore.Spec> hashSpecs = ByteLatentTransformer.hashTableSpecs(args);
        List<ParamStore.Spec> all = new ArrayList<>(specs);
        all.addAll(hashSpecs);
        checkNoExtra(st, all, dir);
        checkFinite(st);
        if (!mapHashTables) {
            requireFits(all, Set.of(), "BLT " + dir);
            ParamStore params = fill(ParamStore.allocate(all), st, dir);
            st.close();
            return new ByteLatentTransformer(args, params, null);
        }
        Map<String, MemorySegment> mapped = mapBf16 ? bf16Weights(st, specs, dir) : Map.of();
        requireFits(specs, mapped.keySet(), "BLT " + dir);
        ParamStore params = fill(ParamStore.allocate(specs, mapped), st, dir);
        List<RowTable> tables = new ArrayList<>();
        for (ParamStore.Spec s : hashSpecs) {
            requireShape(st, s, dir);
            tables.add(st.rows(s.name()));
        }
        if (tables.isEmpty() && mapped.isEmpty()) st.close();
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
        try (SafeTensors st = Checkpoint.weights(dir)) {
            checkNoExtra(st, specs, dir);
            Set<DType> dtypes = new java.util.TreeSet<>();
            long bytes = 0;
            for (ParamStore.Spec s : specs) {
                requireShape(st, s, dir);
                dtypes.add(st.info(s.name()).dtype());
                bytes += st.info(s.name()).byteLength();
            }
            checkFinite(st);
            return String.format("weights %s: %d tensors, %,d bytes of %s, all finite", st.path().getFileName(),
                    specs.size(), bytes, dtypes);
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

    private static void checkNoExtra(SafeTensors st, List<ParamStore.Spec> specs, Path dir) {
        Set<String> extra = new LinkedHashSet<>(st.names());
        for (ParamStore.Spec s : specs) extra.remove(s.name());
        if (!extra.isEmpty())
            throw new Blt4jException("checkpoint " + dir + ": model.safetensors has tensors the config does not use: "
                    + extra.stream().limit(5).toList() + (extra.size() > 5 ? " and " + (extra.size() - 5) + " more" : "")
                    + "; is config.json the one of these weights?");
    }
}
