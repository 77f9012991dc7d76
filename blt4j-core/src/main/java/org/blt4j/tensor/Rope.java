package org.blt4j.tensor;

import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Interleaved RoPE with cached tables. For each (theta, headDim) a table holds, per position, cos and ±sin spread over
 * the head's lanes — cos2[2j] = cos2[2j+1] = cos(angle_j), sin2[2j] = -sin(angle_j), sin2[2j+1] = +sin(angle_j) — so
 * a rotation is x·cos2 + swapPairs(x)·sin2, the same products and sum as {@link NaiveKernels#rope} (bit-identical).
 * Angles are computed as there: freq_j = (float) theta^(-2j/headDim), angle = (float) pos · freq_j.
 * Tables grow to the largest position seen (up to {@link #MAX_TABLE_FLOATS}); positions outside are computed directly.
 */
final class Rope {
    private Rope() {}

    private static final VectorSpecies<Float> V = Ops.S; // S is the sequence length below
    private static final int L = V.length();
    /** lane i ↔ lane i^1: swaps the two elements of each pair */
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(V, i -> i ^ 1);
    /** cap on one table's size (floats per array): 4M floats = 16 MB */
    static final int MAX_TABLE_FLOATS = 1 << 22;

    private record Key(double theta, int headDim) {}

    /** cos2 / sin2 [positions][headDim]; replaced by a larger table when a bigger position comes */
    private record Table(int positions, float[] cos2, float[] sin2) {}

    private static final ConcurrentHashMap<Key, Table> TABLES = new ConcurrentHashMap<>();

    static void apply(float[] x, int off, int S, int nHeads, int headDim, int[] pos, double theta) {
        int maxPos = 0;
        for (int s = 0; s < S; s++) maxPos = Math.max(maxPos, pos[s]);
        int cap = Math.max(1, MAX_TABLE_FLOATS / Math.max(1, headDim));
        Table t = table(theta, headDim, Math.min(maxPos + 1, cap), cap);
        int pairs = headDim / 2, rot = 2 * pairs, vn = V.loopBound(rot);
        Parallel.forEach(S, 6L * S * nHeads * rot, s -> {
            int p = pos[s];
            if (p < 0 || p >= t.positions()) {
                NaiveKernels.rope(x, off + s * nHeads * headDim, 1, nHeads, headDim, new int[] {p}, theta);
                return;
            }
            int ti = p * headDim;
            for (int h = 0; h < nHeads; h++) {
                int base = off + s * nHeads * headDim + h * headDim, d = 0;
                for (; d < vn; d += L) {
                    FloatVector xv = FloatVector.fromArray(V, x, base + d);
                    FloatVector c = FloatVector.fromArray(V, t.cos2(), ti + d), sn = FloatVector.fromArray(V, t.sin2(), ti + d);
                    xv.mul(c).add(xv.rearrange(SWAP_PAIRS).mul(sn)).intoArray(x, base + d);
                }
                for (; d < rot; d += 2) {
                    float c = t.cos2()[ti + d], sn = t.sin2()[ti + d + 1];
                    float x0 = x[base + d], x1 = x[base + d + 1];
                    x[base + d] = x0 * c - x1 * sn;
                    x[base + d + 1] = x0 * sn + x1 * c;
                }
            }
        });
    }

    private static Table table(double theta, int headDim, int positions, int cap) {
        Key key = new Key(theta, headDim);
        Table t = TABLES.get(key);
        if (t != null && t.positions() >= positions) return t;
        return TABLES.compute(key, (k, old) -> old != null && old.positions() >= positions ? old
                : build(theta, headDim, Math.max(positions, old == null ? 0 : Math.min(2 * old.positions(), cap))));
    }

    private static Table build(double theta, int headDim, int positions) {
        int pairs = headDim / 2;
        float[] freq = new float[pairs];
        for (int j = 0; j < pairs; j++) freq[j] = (float) (1.0 / Math.pow(theta, (2.0 * j) / headDim));
        float[] cos2 = new float[positions * headDim], sin2 = new float[positions * headDim];
        for (int p = 0; p < positions; p++) {
            for (int j = 0; j < pairs; j++) {
                float angle = (float) p * freq[j];
                float c = (float) Math.cos(angle), sn = (float) Math.sin(angle);
                int i = p * headDim + 2 * j;
                cos2[i] = c;
                cos2[i + 1] = c;
                sin2[i] = -sn;
                sin2[i + 1] = sn;
            }
        }
        return new Table(positions, cos2, sin2);
    }
}
