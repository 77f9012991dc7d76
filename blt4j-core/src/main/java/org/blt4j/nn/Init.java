package org.blt4j.nn;

import java.util.SplittableRandom;

/**
 * Weight initialisation in the spirit of the reference (truncated normal at ±3σ): norms 1; embeddings and the output
 * layer σ = dim^-1/2; input projections (wq, wk, wv, w1, w3, patch/token projections) σ = in^-1/2; output projections
 * (wo, w2) σ = in^-1/2 / factor, factor = sqrt(2·(depth+1)) with init_std_factor "current_depth", else 1.
 */
public final class Init {
    private Init() {}

    public static void init(ParamStore params, long seed, boolean depthScaled) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] w = params.data();
        for (ParamStore.Param p : params.params()) {
            String n = p.name();
            if (p.shape().length == 1) {                       // RMSNorm weights
                java.util.Arrays.fill(w, p.offset(), p.offset() + p.numel(), 1f);
                continue;
            }
            int in = p.cols();
            double std;
            if (n.contains("tok_embeddings") || n.contains("hash_tok_embedding")) std = Math.pow(p.cols(), -0.5);
            else std = Math.pow(in, -0.5);
            if (depthScaled && (n.endsWith("wo.weight") || n.endsWith("w2.weight"))) std /= Math.sqrt(2.0 * (layerIndex(n) + 1));
            for (int i = 0; i < p.numel(); i++) w[p.offset() + i] = (float) truncNormal(rng, std);
        }
    }

    private static int layerIndex(String name) {
        int i = name.indexOf("layers.");
        if (i < 0) return 0;
        int j = name.indexOf('.', i + 7);
        return Integer.parseInt(name.substring(i + 7, j));
    }

    private static double truncNormal(SplittableRandom rng, double std) {
        while (true) {
            double u1 = rng.nextDouble(), u2 = rng.nextDouble();
            double z = Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
            if (Math.abs(z) <= 3) return z * std;
        }
    }
}
