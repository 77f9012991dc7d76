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

    /** What backward needs: a = w1 x, b = w3 x, g = silu(a)·b. */
    public record Acts(float[] a, float[] b, float[] g) {}

    /** out[S, dim] = w2(silu(w1 x) * w3 x) for x [S, dim]. */
    public Acts forward(float[] x, int S, float[] out) {
        float[] a = w1.forward(x, S);                 // [S, hidden]
        float[] b = w3.forward(x, S);                 // [S, hidden]
        float[] g = new float[S * hidden];
        Ops.swiglu(a, 0, b, 0, g, 0, S * hidden);
        w2.forward(g, 0, S, out, 0);
        return new Acts(a, b, g);
    }

    /** dx[S, dim] += ∂/∂x given dOut [S, dim]. silu'(a) = σ(a)(1 + a(1 − σ(a))). */
    public void backward(float[] x, int S, Acts acts, float[] dOut, float[] dx, float[] grad) {
        float[] dg = new float[S * hidden];
        w2.backward(acts.g(), dOut, S, dg, grad);
        float[] da = new float[S * hidden], db = new float[S * hidden];
        Ops.swigluBackward(acts.a(), acts.b(), dg, da, db, S * hidden);
        w1.backward(x, da, S, dx, grad);
        w3.backward(x, db, S, dx, grad);
    }
}
