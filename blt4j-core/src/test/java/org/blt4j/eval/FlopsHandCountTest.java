package org.blt4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.blt4j.model.PoolingMode;
import org.junit.jupiter.api.Test;

/**
 * eval.Flops against a hand count of one tiny config each (docs/flops.md, "Worked hand count"): every product of
 * one row written out with its shapes, mm(M, K, N) = 2·M·K·N for [M, K]·[K, N], and the attention keys each query
 * sees listed from the mask's rule; none of Flops' helpers are used.
 */
class FlopsHandCountTest {

    /** [M, K] · [K, N]: M·N dot products of length K, a multiply-add = 2 FLOPs. */
    private static double mm(int M, int K, int N) {
        return 2.0 * M * K * N;
    }

    /** QKᵀ and PV over `keys` (query, key) pairs of `heads` heads of size hd: 2·hd each. */
    private static double attn(int keys, int heads, int hd) {
        return 2.0 * 2 * keys * heads * hd;
    }

    private static void close(double expected, double actual, String what) {
        assertEquals(expected, actual, 1e-9 * Math.abs(expected), what);
    }

    // dim 8, 2 layers, 2 heads of head_dim 6 (not dim/heads), 1 KV head, vocab 260, ffn 24, window 3
    static LmArgs tinyEntropy() {
        return new LmArgs(8, 2, 2, 1, 6, null, null, 8, null, null, 3, null, null, null, null);
    }

    @Test
    void entropyModelHandCount() {
        LmArgs a = tinyEntropy();
        assertEquals(24, a.ffnHidden(), "ffn hidden: int(8·8/3) = 21 rounded up to a multiple of 8");
        int L = 5;                                       // one row of 5 bytes
        double layer = mm(L, 8, 12)                      // wq: [5, 8]·[8, 2·6]
                + mm(L, 8, 6) + mm(L, 8, 6)              // wk, wv: one KV head of 6
                + mm(L, 12, 8)                           // wo
                + mm(L, 8, 24) + mm(L, 8, 24)            // w1, w3
                + mm(L, 24, 8)                           // w2
                + attn(1 + 2 + 3 + 3 + 3, 2, 6);         // window 3: queries 0..4 see 1, 2, 3, 3, 3 keys
        double row = 2 * layer + mm(L, 8, 260);          // output [5, 8]·[8, 260]
        close(row / L, Flops.entropyModelPerByte(a, L), "entropy model FLOPs per byte");
        close(2 * attn(12, 2, 6) / L, Flops.lmPerPosition(a, L).attention(), "its attention part");
    }

    @Test
    void tokenLmHandCount() {
        // dim 16, 1 layer, 4 heads (hd 4), 2 KV heads, V_tok 1000, ffn int(16·8/3) = 42 → 48, no window
        LmArgs a = new LmArgs(16, 1, 4, 2, null, 1000, null, 16, null, null, null, null, null, null, null);
        int T = 4;                                       // one row of 4 tokens
        double row = mm(T, 16, 16) + mm(T, 16, 8) + mm(T, 16, 8) + mm(T, 16, 16)   // wq, wk, wv (2·4), wo
                + mm(T, 16, 48) + mm(T, 16, 48) + mm(T, 48, 16)                     // w1, w3, w2
                + attn(1 + 2 + 3 + 4, 4, 4)                                         // causal
                + mm(T, 16, 1000);                                                  // output to V_tok
        Flops.TokenLmFlops f = Flops.tokenLm(a, T, 3.5);
        close(row / T, f.perToken(), "token LM FLOPs per token");
        close(row / T / 3.5, f.perByte(), "per byte at 3.5 bytes per token");
        close(3 * row / T / 3.5, f.trainingPerByte(), "training = 3× forward");
        assertThrows(IllegalArgumentException.class, () -> Flops.tokenLm(a, T, 0));
    }

    /**
     * dim_global 24 ≠ 8·k (an input projection), 4 global heads (hd 6) with 2 KV heads; local dims 8 with 2 heads,
     * window 3; k = 2 slots per patch, 2 cross-attention heads, encoder cross-attention after its last layer,
     * decoder cross-attention before each of its 2 layers with a window of 2 patches.
     */
    static BltArgs tinyBlt() {
        return new BltArgs(
                null, null, 24, 8, 8,
                4, 2, 2, 2,
                1, 1, 2,
                null, 8, null, null,
                3, null, null, null,
                true, true, false, true, true,
                2, 2, null, 2,
                PoolingMode.parse("max"), List.of(2, 3), 1, 13,
                null, null, null, null, null, null, null, null,
                null);
    }

    @Test
    void bltHandCount() {
        BltArgs a = tinyBlt();
        int N = 8, P = 4, k = 2;                         // 8 bytes in 4 patches of 2 (ps = 2), 8 slots
        int slots = P * k;
        int localKeys = 1 + 2 + 3 + 3 + 3 + 3 + 3 + 3;   // window 3 over 8 bytes
        double localLayer = mm(N, 8, 8) * 4                          // wq, wk, wv, wo (2 heads of 4)
                + mm(N, 8, 24) * 2 + mm(N, 24, 8)                    // ffn 24
                + attn(localKeys, 2, 4);
        double encoder = localLayer
                + mm(P, 8, 16)                                       // patch_embedding_projection: [4, 8]·[8, 8·2]
                + mm(slots, 8, 8) * 2                                // cross wq, wo on the 8 slots
                + mm(N, 8, 8) * 2                                    // cross wk, wv on the 8 bytes
                + attn(slots * 2, 2, 4);                             // each slot sees its patch's 2 bytes
        double global = mm(P, 16, 24)                                // token_embedding_projection [4, 16]·[16, 24]
                + mm(P, 24, 24) + mm(P, 24, 12) * 2 + mm(P, 24, 24)  // wq, wk, wv (2 KV heads of 6), wo
                + mm(P, 24, 64) * 2 + mm(P, 64, 24)                  // ffn int(24·8/3) = 64
                + attn(1 + 2 + 3 + 4, 4, 6);                         // causal over 4 patches
        // decoder: byte i reads patch p = i/2 and sees the slots of patches p−1..p: 2 + 2 + 4·6 = 28 (byte, slot) pairs
        double crossDec = mm(N, 8, 8) * 2 + mm(slots, 8, 8) * 2 + attn(2 * 2 + 6 * 4, 2, 4);
        double decoder = mm(P, 24, 16)                               // patch_embedding_projection [4, 24]·[24, 8·2]
                + 2 * (crossDec + localLayer)
                + mm(N, 8, 260);                                     // output
        Flops.BltFlops f = Flops.bltPerByte(a, N, 2.0);
        close(encoder / N, f.encoder(), "encoder per byte");
        close(global / N, f.global(), "global per byte");
        close(decoder / N, f.decoder(), "decoder per byte");
        double attention = 3 * attn(localKeys, 2, 4) + attn(16, 2, 4) + attn(10, 4, 6) + 2 * attn(28, 2, 4);
        close(attention / N, f.attention(), "attention part");

        LmArgs em = tinyEntropy();
        Flops.BltCost c = Flops.bltCost(a, em, N, 2.0);
        close(f.total(), c.forwardPerByte(), "BLT alone");
        close(f.total() + Flops.entropyModelPerByte(em, N), c.forwardWithEntropyModel(), "with the entropy model");
        close(3 * f.total(), c.trainingPerByte(), "training = 3× the BLT's forward");
    }

    @Test
    void meanKeysUnderAWindow() {
        close(2.5, Flops.avgKeys(4, Integer.MAX_VALUE), "causal over 4: (1+2+3+4)/4");
        close((1 + 2 + 2 + 2 + 2) / 5.0, Flops.avgKeys(5, 2), "window 2 over 5");
        close(512 - 512 * 511 / 2048.0, Flops.avgKeys(1024, 512), "window 512 over 1024");
        assertThrows(IllegalArgumentException.class, () -> Flops.avgKeys(0, 4));
    }
}
