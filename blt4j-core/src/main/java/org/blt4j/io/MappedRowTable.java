package org.blt4j.io;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import org.blt4j.Blt4jException;
import org.blt4j.tensor.RowTable;

/** A {@link RowTable} reading rows straight from a mapped 2-D tensor, converting each element to fp32. */
final class MappedRowTable implements RowTable {
    private final MemorySegment seg;
    private final DType dtype;
    private final long rows;
    private final int dim;
    private final String what;

    MappedRowTable(MemorySegment seg, DType dtype, long rows, int dim, String what) {
        this.seg = seg;
        this.dtype = dtype;
        this.rows = rows;
        this.dim = dim;
        this.what = what;
    }

    @Override
    public long rows() {
        return rows;
    }

    @Override
    public int dim() {
        return dim;
    }

    @Override
    public long rowBytes() {
        return (long) dim * dtype.byteSize();
    }

    @Override
    public void addRowTo(long row, float[] dst, int off) {
        if (row < 0 || row >= rows)
            throw new Blt4jException(what + ": row " + row + " is out of range [0, " + rows + ")");
        Objects.checkFromIndexSize(off, dim, dst.length);
        long base = row * dim * dtype.byteSize();
        try {
            switch (dtype) {
                case F32 -> {
                    for (int i = 0; i < dim; i++) dst[off + i] += seg.get(DType.F32_LE, base + 4L * i);
                }
                case BF16 -> {
                    for (int i = 0; i < dim; i++) dst[off + i] += DType.bf16ToFloat(seg.get(DType.I16_LE, base + 2L * i));
                }
                case F16 -> {
                    for (int i = 0; i < dim; i++) dst[off + i] += DType.f16ToFloat(seg.get(DType.I16_LE, base + 2L * i));
                }
            }
        } catch (IllegalStateException e) {
            throw new Blt4jException(what + ": the file was closed", e);
        }
    }
}
