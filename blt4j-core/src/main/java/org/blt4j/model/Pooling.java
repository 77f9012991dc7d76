package org.blt4j.model;

/** Pools byte states into one vector per patch (max, avg or min over the patch's bytes; an empty patch gives 0). */
final class Pooling {
    private Pooling() {}

    /** h [N, dim] → pooled [P, dim]. */
    static float[] pool(PoolingMode mode, float[] h, int dim, PatchLayout layout) {
        int nP = layout.numPatches();
        float[] out = new float[nP * dim];
        for (int p = 0; p < nP; p++) {
            int s = layout.start()[p], e = layout.end()[p];
            if (e > s) poolRows(mode, h, dim, s, e, out, p * dim);
        }
        return out;
    }

    /**
     * out[o .. o+dim) ← the pool of rows [s, e) of h (row i at h[i*dim]), s < e: the one pooling of blt4j, used by the
     * batch form and by the encoder closing one patch.
     */
    static void poolRows(PoolingMode mode, float[] h, int dim, int s, int e, float[] out, int o) {
        switch (mode) {
            case MAX, MIN -> {
                boolean max = mode == PoolingMode.MAX;
                System.arraycopy(h, s * dim, out, o, dim);
                for (int i = s + 1; i < e; i++)
                    for (int d = 0; d < dim; d++) {
                        float v = h[i * dim + d];
                        out[o + d] = max ? Math.max(out[o + d], v) : Math.min(out[o + d], v);
                    }
            }
            case AVG -> {
                java.util.Arrays.fill(out, o, o + dim, 0f);
                for (int i = s; i < e; i++)
                    for (int d = 0; d < dim; d++) out[o + d] += h[i * dim + d];
                float inv = 1f / (e - s);
                for (int d = 0; d < dim; d++) out[o + d] *= inv;
            }
        }
    }

    /**
     * Backward: dh [N, dim] += the pooling's gradient. max/min route dPooled to the bytes equal to the pooled value
     * (split evenly on ties); avg divides it over the patch's bytes.
     */
    static void backward(PoolingMode mode, float[] h, int dim, PatchLayout layout, float[] pooled, float[] dPooled, float[] dh) {
        for (int p = 0; p < layout.numPatches(); p++) {
            int s = layout.start()[p], e = layout.end()[p];
            if (e <= s) continue;
            int o = p * dim;
            for (int d = 0; d < dim; d++) {
                float g = dPooled[o + d];
                if (mode == PoolingMode.AVG) {
                    float share = g / (e - s);
                    for (int i = s; i < e; i++) dh[i * dim + d] += share;
                } else {
                    int ties = 0;
                    for (int i = s; i < e; i++) if (h[i * dim + d] == pooled[o + d]) ties++;
                    for (int i = s; i < e; i++) if (h[i * dim + d] == pooled[o + d]) dh[i * dim + d] += g / ties;
                }
            }
        }
    }
}
