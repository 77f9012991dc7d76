package org.blt4j.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.DType;
import org.blt4j.io.SafeTensors;
import org.blt4j.io.SafeTensorsWriter;
import org.blt4j.io.TensorData;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.Int8Matrix;

/**
 * Writes the int8 version of a hub checkpoint folder (BLT or entropy model, any float dtype): see {@link Quantization}
 * and docs/int8.md. Streams tensor by tensor: only the weight being quantized (as fp32) and its int8 copy are on the
 * heap at a time; every other tensor (hash tables of several GB included) is copied from the mapped source as it is
 * written. The new folder is staged next to {@code out} and renamed into place; an existing {@code out} is refused.
 */
public final class Quantizer {
    private Quantizer() {}

    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** What was written: tensors quantized, kept, and the bytes of both folders' weights. */
    public record Report(int quantized, int kept, long srcBytes, long outBytes) {}

    public static Report quantize(Path src, Path out, int block, PrintStream log) {
        Quantization q = new Quantization(block);
        if (HfLayout.isHf(src))
            throw new Blt4jException(src + " is in the Hugging Face layout: convert it with ./blt4j convert --to hub first");
        if (ReferenceLayout.isReference(src))
            throw new Blt4jException(src + " is in the reference trainer's layout (params.json + consolidated.pth): convert it"
                    + " with ./blt4j convert --to hub first");
        if (Quantization.of(src) != null)
            throw new Blt4jException(src.resolve(Checkpoint.CONFIG) + ": field \"" + Quantization.KEY
                    + "\" says this checkpoint is quantized already; quantize its fp32/bf16 original");
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS))
            throw new Blt4jException("--out " + out + " already exists: pass a new folder (nothing is overwritten)");
        Map<String, ParamStore.Spec> specs = new HashMap<>();
        for (ParamStore.Spec s : Quantization.specs(src)) specs.put(s.name(), s);
        ObjectNode config = Checkpoint.rawConfig(src).deepCopy();
        config.set(Quantization.KEY, q.toJson());
        int[] counts = new int[2];
        try (SafeTensors st = Checkpoint.weights(src)) {
            SafeTensorsWriter w = new SafeTensorsWriter(DType.F32).metadata(st.metadata());
            Current current = new Current();
            for (String name : specs.keySet())
                if (!st.contains(name))
                    throw new Blt4jException(src.resolve(Checkpoint.WEIGHTS) + " has no tensor '" + name
                            + "' that config.json implies; is this the right config?");
            for (String name : st.names()) {
                ParamStore.Spec s = specs.get(name);
                if (s == null)
                    throw new Blt4jException(src.resolve(Checkpoint.WEIGHTS) + ": tensor '" + name
                            + "' is not a parameter config.json implies; is this the right config?");
                long[] shape = st.info(name).shape();
                if (!java.util.Arrays.equals(shape, java.util.Arrays.stream(s.shape()).asLongStream().toArray()))
                    throw new Blt4jException(src.resolve(Checkpoint.WEIGHTS) + ": tensor '" + name + "' has shape "
                            + java.util.Arrays.toString(shape) + " but config.json implies " + java.util.Arrays.toString(s.shape()));
                if (!Quantization.quantizes(s)) {
                    // kept as stored; read in chunks from the mapping while writing, after a finiteness scan
                    w.add(name, TensorData.lazy((start, dst, off, n) -> {
                        if (start == 0) st.checkFinite(name);
                        st.readFloats(name, start, dst, off, n);
                    }, shape), st.info(name).dtype());
                    counts[1]++;
                    continue;
                }
                int n = s.shape()[0], k = s.shape()[1];
                w.add(name, TensorData.lazy((start, dst, off, c) -> {
                    MemorySegment v = current.of(st, name, n, k, block, log).q();
                    for (int i = 0; i < c; i++) dst[off + i] = v.get(ValueLayout.JAVA_BYTE, start + i);
                }, shape), DType.I8);
                w.add(name + Quantization.SCALES, TensorData.lazy((start, dst, off, c) ->
                        MemorySegment.copy(current.of(st, name, n, k, block, log).scales(), F32_LE, 4 * start, dst, off, c),
                        n, q.blocks(k)), DType.F32);
                counts[0]++;
            }
            Checkpoint.writeNew(out, config, w);
        }
        long srcBytes = size(src.resolve(Checkpoint.WEIGHTS)), outBytes = size(out.resolve(Checkpoint.WEIGHTS));
        return new Report(counts[0], counts[1], srcBytes, outBytes);
    }

    /** The one weight quantized at a time (the writer asks for its values, then its scales). */
    private static final class Current {
        private String name;
        private Int8Matrix m;

        Int8Matrix of(SafeTensors st, String name, int n, int k, int block, PrintStream log) {
            if (!name.equals(this.name)) {
                m = null; // drop the previous one before reading the next
                st.checkFinite(name);
                m = Int8Matrix.quantize(st.floats(name), n, k, block);
                this.name = name;
                if (log != null) log.printf("int8 %s [%d, %d]%n", name, n, k);
            }
            return m;
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (java.io.IOException e) {
            return -1;
        }
    }
}
