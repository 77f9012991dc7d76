package org.blt4j.io;

import java.util.Arrays;

/**
 * Where one tensor lives in a safetensors file.
 *
 * @param name       the tensor's name in the header
 * @param dtype      its element type
 * @param shape      its shape (a copy is returned; rank 0 means a scalar)
 * @param byteOffset offset of its first byte from the start of the file (not of the data section)
 * @param byteLength its size in bytes, numel() * dtype.byteSize()
 */
public record TensorInfo(String name, DType dtype, long[] shape, long byteOffset, long byteLength) {
    public TensorInfo {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Size of dimension {@code i}. */
    public long dim(int i) {
        return shape[i];
    }

    /** Number of elements (1 for a scalar). */
    public long numel() {
        return byteLength / dtype.byteSize();
    }

    /** The shape as "[a, b]". */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && byteOffset == t.byteOffset && byteLength == t.byteLength;
    }

    @Override
    public int hashCode() {
        return ((name.hashCode() * 31 + dtype.hashCode()) * 31 + Arrays.hashCode(shape)) * 31 + Long.hashCode(byteOffset);
    }

    @Override
    public String toString() {
        return name + " " + dtype + shapeString() + " @" + byteOffset + "+" + byteLength;
    }
}
