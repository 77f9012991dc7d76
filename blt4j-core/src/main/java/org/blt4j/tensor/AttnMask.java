package org.blt4j.tensor;

/**
 * Which keys a query sees. Every mask BLT needs (causal, block-causal by EOS, windowed, cross-attention patch masks)
 * gives each query one contiguous key range [from(q), to(q)). An empty range means the query sees nothing and its
 * attention output is 0.
 */
public interface AttnMask {
    /** first visible key of query q (inclusive) */
    int from(int q);

    /** end of the visible keys of query q (exclusive); to(q) &lt;= from(q) means none */
    int to(int q);

    /** Key range given by two arrays. */
    static AttnMask ranges(int[] from, int[] to) {
        return new AttnMask() {
            public int from(int q) { return from[q]; }
            public int to(int q) { return to[q]; }
        };
    }

    /** Plain causal: q sees 0..q. */
    static AttnMask causal() {
        return new AttnMask() {
            public int from(int q) { return 0; }
            public int to(int q) { return q + 1; }
        };
    }
}
