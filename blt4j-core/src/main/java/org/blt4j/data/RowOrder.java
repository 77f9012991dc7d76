package org.blt4j.data;

import java.util.SplittableRandom;

/**
 * Which chunk of the data a global row index reads. Rows are numbered 0, 1, 2, ... across epochs; row r belongs to
 * epoch r / rowsPerEpoch and reads chunk {@code order_epoch[r % rowsPerEpoch]}, where the order is the identity, or,
 * with a seed, a permutation drawn from (seed, epoch) alone. So a position (a row index) is all the state a data
 * iterator needs to resume exactly.
 */
final class RowOrder {
    private final int rowsPerEpoch;
    private final Long seed;
    private long cachedEpoch = -1;
    private int[] cachedOrder;

    RowOrder(int rowsPerEpoch, Long seed) {
        if (rowsPerEpoch < 1) throw new IllegalArgumentException("rowsPerEpoch " + rowsPerEpoch);
        this.rowsPerEpoch = rowsPerEpoch;
        this.seed = seed;
    }

    int rowsPerEpoch() { return rowsPerEpoch; }

    /** The chunk (0 .. rowsPerEpoch-1) that global row {@code row} reads. */
    int chunk(long row) {
        if (row < 0) throw new IllegalArgumentException("negative row " + row);
        int i = (int) (row % rowsPerEpoch);
        if (seed == null) return i;
        long epoch = row / rowsPerEpoch;
        if (epoch != cachedEpoch) {
            cachedOrder = permutation(rowsPerEpoch, new SplittableRandom(seed * 0x9E3779B97F4A7C15L + epoch));
            cachedEpoch = epoch;
        }
        return cachedOrder[i];
    }

    /** Fisher-Yates shuffle of 0..n-1. */
    private static int[] permutation(int n, SplittableRandom rnd) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
