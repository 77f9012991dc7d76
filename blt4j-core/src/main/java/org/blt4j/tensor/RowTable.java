package org.blt4j.tensor;

/**
 * Row access to an embedding table [rows, dim] that may live on the heap or in a memory-mapped file (the released
 * hash tables are ~6 GB of bf16 and are never copied to the heap).
 */
public interface RowTable {
    long rows();

    int dim();

    /** Bytes one row takes where the table is stored. */
    default long rowBytes() {
        return 4L * dim();
    }

    /** dst[off .. off+dim) += table[row, :] (converted to fp32). */
    void addRowTo(long row, float[] dst, int off);

    /** A heap table: data[offset + row*dim + i]. */
    static RowTable heap(float[] data, int offset, long rows, int dim) {
        return new RowTable() {
            public long rows() { return rows; }
            public int dim() { return dim; }
            public void addRowTo(long row, float[] dst, int off) {
                int base = Math.toIntExact(offset + row * dim);
                for (int i = 0; i < dim; i++) dst[off + i] += data[base + i];
            }
        };
    }
}
