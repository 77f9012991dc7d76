package org.blt4j.nn;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.Int8Matrix;

/**
 * All parameters of one model in one flat fp32 buffer, with named views under the reference's state-dict names.
 * The gradient buffer of training has the same layout, so AdamW is one loop and a checkpoint is one write.
 */
public final class ParamStore {
    /** Name and shape of one parameter tensor. */
    public record Spec(String name, int... shape) {
        public long numel() {
            long n = 1;
            for (int d : shape) n *= d;
            return n;
        }
    }

    /** A parameter: its place in {@link #data()}. */
    public record Param(String name, int offset, int[] shape) {
        public int numel() {
            int n = 1;
            for (int d : shape) n *= d;
            return n;
        }

        public int rows() { return shape[0]; }

        public int cols() { return shape.length > 1 ? shape[1] : 1; }
    }

    private final float[] data;
    private final Map<String, Param> params;
    private final Map<String, MemorySegment> mapped;
    private final Map<String, Int8Matrix> int8;
    /** the mapped file(s) the weights read in place live in: released by {@link #close} */
    private final java.util.List<AutoCloseable> files = new java.util.concurrent.CopyOnWriteArrayList<>();

    private ParamStore(float[] data, Map<String, Param> params, Map<String, MemorySegment> mapped, Map<String, Int8Matrix> int8) {
        this.data = data;
        this.params = params;
        this.mapped = mapped;
        this.int8 = int8;
    }

    /** Number of values of the specs, in long. */
    public static long numel(List<Spec> specs) {
        long n = 0;
        for (Spec s : specs) n += s.numel();
        return n;
    }

    /**
     * Refuses, before anything is allocated, {@code params} fp32 parameters held {@code copies} times (1 to run a
     * model; training adds a gradient per thread and AdamW's two moments) when they exceed the heap
     * (Runtime.maxMemory) or the one array a copy must fit in. {@code what} names the model and the copies.
     */
    public static void requireFits(double params, int copies, String what) {
        requireFits(params, copies, Runtime.getRuntime().maxMemory(), what);
    }

    static void requireFits(double params, int copies, long heapBytes, String what) {
        double bytes = params * 4 * copies;
        if (params > Integer.MAX_VALUE - 16)
            throw new Blt4jException(String.format("%s: %s parameters (%s as fp32) are more than the 2^31 floats one Java "
                    + "array holds; this config cannot be run by blt4j (check n_layers, dim and the vocabularies)", what,
                    count(params), gb(params * 4)));
        if (bytes > heapBytes)
            throw new Blt4jException(String.format("%s: %s parameters need %s%s, more than the heap's %s (Runtime.maxMemory);"
                    + " raise -Xmx (BLT4J_JAVA_OPTS) or shrink the config", what, count(params), gb(bytes),
                    copies > 1 ? " (" + copies + " fp32 copies)" : " as fp32", gb(heapBytes)));
    }

    private static String count(double n) {
        return n >= 1e9 ? String.format("%.3g G", n / 1e9) : n >= 1e6 ? String.format("%.3g M", n / 1e6) : String.format("%,.0f", n);
    }

    private static String gb(double bytes) {
        return String.format("%.3g GB", bytes / 1e9);
    }

    /** Lays the specs out one after the other (in list order) in a zeroed buffer. */
    public static ParamStore allocate(List<Spec> specs) {
        return allocate(specs, Map.of());
    }

    /**
     * Same, except that the 2-D weights named in {@code bf16} are not copied: they stay bf16 [out, in] in their
     * (memory-mapped) segments, have offset -1 in the buffer, and {@link #linear} reads them in place (inference only).
     */
    public static ParamStore allocate(List<Spec> specs, Map<String, MemorySegment> bf16) {
        return allocate(specs, bf16, Map.of());
    }

    /**
     * Same, and the 2-D weights named in {@code int8} are int8 matrices (read in place from an int8 checkpoint,
     * docs/int8.md): offset -1 as well, and {@link #linear} gives int8 layers (inference only).
     */
    public static ParamStore allocate(List<Spec> specs, Map<String, MemorySegment> bf16, Map<String, Int8Matrix> int8) {
        Map<String, Param> params = new LinkedHashMap<>();
        long total = 0;
        for (Spec s : specs) {
            if (params.containsKey(s.name())) throw new IllegalArgumentException("duplicate parameter " + s.name());
            if (int8.containsKey(s.name())) {
                Int8Matrix m = int8.get(s.name());
                if (s.shape().length != 2 || bf16.containsKey(s.name()) || m.rows() != s.shape()[0] || m.cols() != s.shape()[1])
                    throw new IllegalArgumentException("int8 parameter " + s.name() + " does not match its shape");
                params.put(s.name(), new Param(s.name(), -1, s.shape().clone()));
                continue;
            }
            if (bf16.containsKey(s.name())) {
                if (s.shape().length != 2 || bf16.get(s.name()).byteSize() != 2 * s.numel())
                    throw new IllegalArgumentException("mapped bf16 parameter " + s.name() + " does not match its shape");
                params.put(s.name(), new Param(s.name(), -1, s.shape().clone()));
                continue;
            }
            params.put(s.name(), new Param(s.name(), (int) total, s.shape().clone()));
            total += s.numel();
            if (total > Integer.MAX_VALUE - 16)
                throw new Blt4jException("model has more than 2^31 fp32 parameters outside its hash tables; "
                        + "blt4j keeps those in one heap buffer and cannot hold this model");
        }
        for (String name : bf16.keySet())
            if (!params.containsKey(name)) throw new IllegalArgumentException("mapped parameter " + name + " has no spec");
        for (String name : int8.keySet())
            if (!params.containsKey(name)) throw new IllegalArgumentException("int8 parameter " + name + " has no spec");
        return new ParamStore(new float[(int) total], params, Map.copyOf(bf16), Map.copyOf(int8));
    }

    /** Whether the parameter is a mapped bf16 or an int8 weight (not in {@link #data()}). */
    public boolean isMapped(String name) {
        return mapped.containsKey(name) || int8.containsKey(name);
    }

    /** Bytes of the mapped bf16 and int8 weights (scales included). */
    public long mappedBytes() {
        long b = 0;
        for (MemorySegment m : mapped.values()) b += m.byteSize();
        for (Int8Matrix m : int8.values()) b += m.bytes();
        return b;
    }

    /** Number of int8 weights. */
    public int int8Count() {
        return int8.size();
    }

    /** A buffer with the same layout (gradients, optimizer moments). */
    /** Makes this store own {@code file} (the mapped file its in-place weights or hash tables are read from). */
    public void attach(AutoCloseable file) {
        files.add(java.util.Objects.requireNonNull(file));
    }

    /**
     * Throws when a mapped file this store reads in place was changed in place since it was mapped
     * ({@link org.blt4j.io.SafeTensors#checkUnchanged}); a stat per file.
     */
    public void checkFiles() {
        for (AutoCloseable f : files) if (f instanceof org.blt4j.io.SafeTensors st) st.checkUnchanged();
    }

    /**
     * Releases the mapped files this store owns (unmapping them): weights read in place must not be used afterwards.
     * The heap values stay. Idempotent.
     */
    public void closeFiles() {
        for (AutoCloseable f : files) {
            try {
                f.close();
            } catch (Exception e) {
                throw new Blt4jException("cannot close a mapped weights file: " + e, e);
            }
        }
        files.clear();
    }

    public float[] newBuffer() {
        return new float[data.length];
    }

    public float[] data() { return data; }

    public long size() { return data.length; }

    public Collection<Param> params() { return params.values(); }

    public boolean contains(String name) { return params.containsKey(name); }

    /** The parameter, checking its shape. */
    public Param get(String name, int... shape) {
        Param p = params.get(name);
        if (p == null) throw new Blt4jException("model has no parameter '" + name + "'");
        if (shape.length > 0 && !Arrays.equals(p.shape(), shape))
            throw new Blt4jException("parameter '" + name + "' has shape " + Arrays.toString(p.shape())
                    + ", expected " + Arrays.toString(shape));
        return p;
    }

    public Linear linear(String name, int out, int in) {
        Param p = get(name, out, in);
        MemorySegment m = mapped.get(name);
        if (m != null) return Linear.bf16(m, out, in);
        Int8Matrix q = int8.get(name);
        if (q != null) return Linear.int8(q);
        return new Linear(data, p.offset(), out, in);
    }

    public RmsNorm rmsNorm(String name, int dim, double eps) {
        Param p = get(name, dim);
        if (p.offset() < 0) throw new Blt4jException("parameter '" + name + "' is mapped, not on the heap");
        return new RmsNorm(data, p.offset(), dim, (float) eps);
    }
}
