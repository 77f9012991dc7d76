package org.blt4j.model;

import java.util.Arrays;

/** Byte states of positions [first, first + count), growing at the end and dropped from the front. */
final class ByteRows {
    final int dim;
    float[] data;
    int first, count;

    ByteRows(int dim) {
        this.dim = dim;
        this.data = new float[16 * dim];
    }

    void add(float[] src, int off) {
        if ((count + 1) * dim > data.length) data = Arrays.copyOf(data, 2 * data.length);
        System.arraycopy(src, off, data, count * dim, dim);
        count++;
    }

    void dropBefore(int position) {
        int drop = Math.min(count, position - first);
        if (drop <= 0) return;
        System.arraycopy(data, drop * dim, data, 0, (count - drop) * dim);
        count -= drop;
        first += drop;
    }

    float[] copy(int s, int e) {
        return Arrays.copyOfRange(data, (s - first) * dim, (e - first) * dim);
    }
}
