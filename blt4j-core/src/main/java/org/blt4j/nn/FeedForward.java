package org.blt4j.nn;

import java.util.List;
import org.blt4j.tensor.Ops;

/** SwiGLU feed-forward: w2(silu(w1 x) * w3 x). w1/w3 [hidden, dim], w2 [dim, hidden]. */
public record FeedForward(Linear w1, Linear w3, Linear w2, int hidden) {

    public static FeedForward of(ParamStore p, String prefix, int dim, int hidden) {
        return new FeedForward(
                p.linear(prefix + "w1.weight", hidden, dim),
                p.linear(prefix + "w3.weight", hidden, dim),
                p.linear(prefix + "w2.weight", dim, hidden),
                hidden);
    }

    public static List<ParamStore.Spec> specs(String prefix, int dim, int hidden) {
        return List.of(
                new ParamStore.Spec(prefix + "w1.weight", hidden, dim),
                new ParamStore.Spec(prefix + "w3.weight", hidden, dim),
                new ParamStore.Spec(prefix + "w2.weight", dim, hidden));
    }

    /** out[S, dim] = w2(silu(w1 x) * w3 x) for x [S, dim]. */
    public void forward(float[] x, int S, float[] out) {
        float[] a = w1.forward(x, S);                 // [S, hidden]
        float[] b = w3.forward(x, S);                 // [S, hidden]
        Ops.swiglu(a, 0, b, 0, a, 0, S * hidden);
        w2.forward(a, 0, S, out, 0);
    }
}
