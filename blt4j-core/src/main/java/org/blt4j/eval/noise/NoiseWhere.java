package org.blt4j.eval.noise;

/** Which part of a four-way item a noise is applied to. */
public enum NoiseWhere {
    /** the context only; the four candidates stay clean */
    CONTEXT,
    /** the four candidates only (each with its own draws); the context stays clean */
    CANDIDATES,
    /** the context and the four candidates */
    BOTH;

    public boolean context() {
        return this != CANDIDATES;
    }

    public boolean candidates() {
        return this != CONTEXT;
    }

    /** "context", "candidates" or "both" (any case). */
    public static NoiseWhere parse(String name) {
        for (NoiseWhere w : values()) if (w.name().equalsIgnoreCase(name.strip())) return w;
        throw new org.blt4j.Blt4jException("unknown noise target '" + name + "'; valid: context, candidates, both");
    }
}
