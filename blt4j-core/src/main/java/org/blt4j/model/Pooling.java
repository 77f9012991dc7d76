package org.blt4j.model;

/** Pools byte states into one vector per patch (max, avg or min over the patch's bytes; an empty patch gives 0). */
final class Pooling {
    private Pooling() {}

    /** h [N, dim] → pooled [P, dim]. */
    static float[] pool(String mode, float[] h, int dim, PatchLayout layout) {
        int nP = layout.numPatches();
        float[] out = new float[nP * dim];
        for (int p = 0; p < nP; p++) {
            int s = layout.start()[p], e = layout.end()[p];
            if (e <= s) continue;
            int o = p * dim;
            switch (mode) {
                case "max", "min" -> {
                    boolean max = mode.equals("max");
                    System.arraycopy(h, s * dim, out, o, dim);
                    for (int i = s + 1; i < e; i++)
                        for (int d = 0; d < dim; d++) {
                            float v = h[i * dim + d];
                            out[o + d] = max ? Math.max(out[o + d], v) : Math.min(out[o + d], v);
                        }
                }
                case "avg" -> {
                    for (int i = s; i < e; i++)
                        for (int d = 0; d < dim; d++) out[o + d] += h[i * dim + d];
                    float inv = 1f / (e - s);
                    for (int d = 0; d < dim; d++) out[o + d] *= inv;
                }
                default -> throw new IllegalArgumentException("pooling " + mode);
            }
        }
        return out;
    }

    /**
     * Backward: dh [N, dim] += the pooling's gradient. max/min route dPooled to the bytes equal to the pooled value
     * (split evenly on ties); avg divides it over the patch's bytes.
     */
    static void backward(String mode, float[] h, int dim, PatchLayout layout, float[] pooled, float[] dPooled, float[] dh) {
        for (int p = 0; p < layout.numPatches(); p++) {
            int s = layout.start()[p], e = layout.end()[p];
            if (e <= s) continue;
            int o = p * dim;
            for (int d = 0; d < dim; d++) {
                float g = dPooled[o + d];
                if (mode.equals("avg")) {
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
