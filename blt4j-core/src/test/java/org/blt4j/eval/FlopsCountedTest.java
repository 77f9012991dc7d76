package org.blt4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
import org.blt4j.tensor.FlopCounter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * eval.Flops against the FLOPs a real forward pass runs ({@link FlopCounter}: linear-layer products and attention
 * over the keys each query's mask lets it see). Linear layers must match exactly; attention exactly where the
 * formula's means are exact (no EOS, patches that tile the row) and within its approximation elsewhere.
 */
class FlopsCountedTest {

    @AfterEach
    void off() {
        FlopCounter.enable(false);
        FlopCounter.reset();
    }

    /** Runs r with the counter on: {matmul, attention} FLOPs. */
    private static long[] count(Runnable r) {
        FlopCounter.reset();
        FlopCounter.enable(true);
        try {
            r.run();
        } finally {
            FlopCounter.enable(false);
        }
        return new long[] {FlopCounter.matmul(), FlopCounter.attention()};
    }

    private static int[] bytes(int n) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = 4 + (i * 37) % 250;      // no EOS (2)
        return t;
    }

    @Test
    void entropyModelForwardMatchesFormula() {
        LmArgs a = FlopsHandCountTest.tinyEntropy();                // window 3, head_dim 6 ≠ dim/heads
        EntropyModel m = new EntropyModel(a, ParamStore.allocate(EntropyModel.specs(a)));
        int L = 11;
        int[] tokens = bytes(L);
        long[] c = count(() -> m.forward(tokens));
        Flops.Parts f = Flops.lmPerPosition(a, L);
        assertEquals(f.matmul() * L, c[0], 1e-9 * c[0], "linear layers, counted vs formula");
        assertEquals(f.attention() * L, c[1], 1e-9 * c[1], "attention without documents, counted vs formula");

        tokens[4] = a.eosId();                                       // a document ends: fewer keys than the formula's
        long[] d = count(() -> m.forward(tokens));
        assertEquals(c[0], d[0], "an EOS changes no linear layer");
        assertTrue(d[1] < c[1], "an EOS hides keys: " + d[1] + " vs " + c[1]);
    }

    @Test
    void tokenLmForwardMatchesFormula() {
        // a token LM is the same Llama model over V_tok ids: no window here, 3 layers, vocab 777
        LmArgs a = new LmArgs(16, 3, 4, 2, null, 777, null, 16, null, null, null, null, null, null, null);
        EntropyModel m = new EntropyModel(a, ParamStore.allocate(EntropyModel.specs(a)));
        int T = 9;
        long[] c = count(() -> m.forward(bytes(T)));
        Flops.TokenLmFlops f = Flops.tokenLm(a, T, 4.0);
        assertEquals(f.perToken() * T, c[0] + c[1], 1e-9 * c[0], "per token × tokens, counted vs formula");
    }

    @Test
    void bltForwardMatchesFormula() {
        BltArgs a = FlopsHandCountTest.tinyBlt();                    // k = 2, decoder cross window 2, local window 3
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(a));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(a));
        ByteLatentTransformer m = new ByteLatentTransformer(a, ParamStore.allocate(specs), null);
        int N = 15;
        int[] lengths = {1, 3, 3, 3, 3, 3};                          // 6 patches over 15 bytes (+1): ps = 2.5
        long[] c = count(() -> m.forward(bytes(N), lengths));
        Flops.BltFlops f = Flops.bltPerByte(a, N, N / (double) lengths.length);
        assertEquals(f.matmul() * N, c[0], 1e-9 * c[0], "linear layers, counted vs formula");
        // attention: local windows, the encoder's own-patch cross-attention and the causal global one are exact;
        // the decoder's 2-patch window is a mean over equal patches, here the first patch holds 1 byte (0.6% off;
        // without the window it would be 15% off)
        double rel = Math.abs(f.attention() * N - c[1]) / c[1];
        assertTrue(rel < 0.02, "attention counted " + c[1] + " vs formula " + f.attention() * N);
    }
}
