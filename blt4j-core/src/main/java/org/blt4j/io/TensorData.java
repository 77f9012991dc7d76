package org.blt4j.io;

import java.util.Arrays;
import java.util.Objects;
import org.blt4j.Blt4jException;

/**
 * An fp32 tensor to be written: a shape and a source of its elements (row-major). The source is read in chunks
 * while writing, so a tensor can be a slice of a big array or be streamed from another file without a heap copy.
 */
public record TensorData(long[] shape, Source source) {
    /** Fills dst[dstOff .. dstOff+count) with elements [start, start+count) of the tensor. */
    @FunctionalInterface
    public interface Source {
        void read(long start, float[] dst, int dstOff, int count);
    }

    public TensorData {
        Objects.requireNonNull(source, "source");
        shape = shape.clone();
        numel(shape);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public long numel() {
        return numel(shape);
    }

    /** The whole array, which must hold exactly the shape's element count. */
    public static TensorData of(float[] data, long... shape) {
        long n = numel(shape);
        if (n != data.length)
            throw new Blt4jException("tensor shape " + Arrays.toString(shape) + " needs " + n + " elements, the array has " + data.length);
        return slice(data, 0, shape);
    }

    /** data[offset .. offset+numel(shape)): one tensor stored inside a larger array. */
    public static TensorData slice(float[] data, int offset, long... shape) {
        long n = numel(shape);
        if (offset < 0 || offset > data.length - n)
            throw new Blt4jException("tensor shape " + Arrays.toString(shape) + " needs " + n + " elements from offset "
                    + offset + ", the array has " + data.length);
        return new TensorData(shape, (start, dst, dstOff, count) ->
                System.arraycopy(data, Math.toIntExact(offset + start), dst, dstOff, count));
    }

    /** A tensor whose elements come from {@code source} when it is written. */
    public static TensorData lazy(Source source, long... shape) {
        return new TensorData(shape, source);
    }

    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new Blt4jException("tensor shape " + Arrays.toString(shape) + " has a negative dimension");
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new Blt4jException("tensor shape " + Arrays.toString(shape) + " is too large");
            }
        }
        return n;
    }
}
