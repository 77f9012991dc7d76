package org.blt4j.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blt4j.model.AttnBiasType;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.IncrementalBlt;
import org.blt4j.model.LmArgs;
import org.blt4j.model.PoolingMode;
import org.blt4j.nn.Init;
import org.blt4j.nn.ParamStore;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.PatchingMode;
import org.blt4j.patch.Patcher;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Cached generation against the uncached reference path on random small BLTs: k ∈ {1, 2, 4}, cross-attention in all
 * layers or one (encoder and decoder), max/avg/min pooling, local windows small enough that the ring buffers wrap,
 * cross-attention windows, hash n-gram tables, GQA and the input projection in the global stack; random entropy
 * models with a threshold at a quantile of their entropies so that patches have various lengths; prompts with EOS and
 * multi-byte UTF-8. Greedy bytes and per-step patch lengths must be equal, logits within 1e-4.
 */
class CachedGeneratorTest {
    private static final int STEPS = 40;
    private static final float LOGIT_TOL = 1e-4f;

    record Setup(String name, ByteLatentTransformer blt, EntropyModel em, Patcher patcher) {}

    private static final String[] TEXTS = {
        "héllo wörld, naïve café ", "日本語のテキスト ", "The quick brown fox. ", "€ 3,14 — ok? ", "a\u00df\u00e7 z ",
    };

    /** A random prompt: BOS, pieces of text (multi-byte UTF-8), sometimes an EOS in the middle. */
    static int[] prompt(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int pieces = 1 + rnd.nextInt(3);
        for (int i = 0; i < pieces; i++) sb.append(TEXTS[rnd.nextInt(TEXTS.length)]);
        int[] ids = ByteTokenizer.encode(sb.toString(), true, false);
        int cut = Math.min(ids.length, 6 + rnd.nextInt(24));
        ids = Arrays.copyOf(ids, cut);
        if (rnd.nextBoolean() && cut > 4) ids[2 + rnd.nextInt(cut - 3)] = ByteTokenizer.EOS_ID;
        return ids;
    }

    static Setup randomSetup(long seed) {
        Random rnd = new Random(seed);
        int k = new int[] {1, 2, 4}[rnd.nextInt(3)];
        int dimL = rnd.nextBoolean() ? 8 : 16;
        boolean projection = rnd.nextBoolean();
        int dimG = projection ? 24 : dimL * k;
        int nHeadsG = dimG % 8 == 0 && (dimG / 4) % 2 == 0 ? 4 : 2;
        int nKvG = new int[] {1, 2, nHeadsG}[rnd.nextInt(3)];
        boolean allEnc = rnd.nextBoolean(), allDec = rnd.nextBoolean();
        String pooling = new String[] {"max", "avg", "min"}[rnd.nextInt(3)];
        Integer window = rnd.nextInt(5) == 0 ? null : 2 + rnd.nextInt(5);
        Integer wEnc = new Integer[] {null, 1, 2, 3}[rnd.nextInt(4)];
        Integer wDec = new Integer[] {null, 1, 2, 3}[rnd.nextInt(4)];
        List<Integer> hash = new ArrayList<>();
        for (int g = 1; g <= 6; g++) if (rnd.nextInt(3) == 0) hash.add(g);
        int nbFunc = 1 + rnd.nextInt(2);
        int hashVocab = 5 + rnd.nextInt(40);
        String bias = rnd.nextInt(4) == 0 ? "causal" : null;
        BltArgs a = new BltArgs(
                null, null, dimG, dimL, dimL,
                nHeadsG, nKvG, 2, 2,
                1 + rnd.nextInt(2), 1 + rnd.nextInt(2), 1 + rnd.nextInt(2),
                null, 8, null, 500000.0,
                window, null, null, null,
                true, true, allEnc, allDec, true,
                k, 2, wEnc, wDec,
                PoolingMode.parse(pooling), hash, nbFunc, hashVocab,
                null, null, null, null, null, null, null, null,
                bias == null ? null : AttnBiasType.parse(bias));
        List<ParamStore.Spec> specs = new ArrayList<>(ByteLatentTransformer.specs(a));
        specs.addAll(ByteLatentTransformer.hashTableSpecs(a));
        ParamStore ps = ParamStore.allocate(specs);
        Init.init(ps, seed, false);
        ByteLatentTransformer blt = new ByteLatentTransformer(a, ps, null);

        int emDim = rnd.nextBoolean() ? 8 : 16;
        LmArgs la = new LmArgs(emDim, 1 + rnd.nextInt(2), 2, rnd.nextBoolean() ? 1 : 2, null, null, null, 8, null, null,
                rnd.nextInt(4) == 0 ? null : 3 + rnd.nextInt(5), null, null, null, false);
        ParamStore eps = ParamStore.allocate(EntropyModel.specs(la));
        Init.init(eps, seed + 1, false);
        // sharper predictions than the random init gives: entropies spread over a few nats
        ParamStore.Param out = eps.get("output.weight");
        for (int i = 0; i < out.numel(); i++) eps.data()[out.offset() + i] *= 12f;
        EntropyModel em = new EntropyModel(la, eps);

        // threshold at a quantile of the entropies of some text, so that patches have various lengths
        float[] h = em.entropies(ByteTokenizer.encode(String.join("", TEXTS), true, false));
        float[] diffs = new float[h.length - 1];
        for (int i = 1; i < h.length; i++) diffs[i - 1] = h[i] - h[i - 1];
        Integer max = rnd.nextInt(4) == 0 ? 2 + rnd.nextInt(3) : null;
        int kind = rnd.nextInt(6);
        PatcherArgs pa = switch (kind) {
            case 0 -> new PatcherArgs(PatchingMode.ENTROPY, (double) quantile(diffs, 0.6), null, true, max, 4.5);
            case 1 -> new PatcherArgs(PatchingMode.ENTROPY, (double) quantile(h, 0.4), (double) quantile(diffs, 0.3),
                    false, max, 4.5);
            default -> new PatcherArgs(PatchingMode.ENTROPY, (double) quantile(h, 0.5 + 0.3 * rnd.nextDouble()), null,
                    false, max, 4.5);
        };
        String name = String.format("seed %d: k=%d dimL=%d dimG=%d gqa %d/%d allEnc=%b allDec=%b %s window=%s wEnc=%s "
                        + "wDec=%s hash=%s×%d/%d %s layers %d/%d/%d | em dim %d layers %d window %s | %s",
                seed, k, dimL, dimG, nHeadsG, nKvG, allEnc, allDec, pooling, window, wEnc, wDec, hash, nbFunc, hashVocab,
                bias == null ? "block-causal" : bias, a.nLayersLocalEncoder(), a.nLayersGlobal(), a.nLayersLocalDecoder(),
                emDim, la.nLayers(), la.slidingWindow(), pa);
        return new Setup(name, blt, em, pa.build());
    }

    /**
     * Halfway between two neighbouring sorted values: the prompts reuse the texts the threshold comes from, and a
     * threshold equal to one of their entropies would be decided by float rounding.
     */
    static float quantile(float[] v, double q) {
        float[] s = v.clone();
        Arrays.sort(s);
        int i = Math.min(s.length - 2, (int) (q * s.length));
        return (s[i] + s[i + 1]) / 2;
    }

    /** Runs a generator, recording each step. */
    record Run(int[] ids, List<int[]> lengths, List<float[]> logits) {}

    static Run run(Generator g, int[] prompt, int steps, Sampler sampler) {
        List<int[]> lengths = new ArrayList<>();
        List<float[]> logits = new ArrayList<>();
        int[] ids = g.generate(prompt, steps, sampler, false, (id, step) -> {
            lengths.add(step.patchLengths());
            logits.add(step.logits());
            return true;
        });
        return new Run(ids, lengths, logits);
    }

    static void assertSameRun(Run expected, Run got, String what) {
        assertArrayEquals(expected.ids(), got.ids(), what + ": generated ids");
        for (int s = 0; s < expected.ids().length; s++) {
            assertArrayEquals(expected.lengths().get(s), got.lengths().get(s), what + ": patch lengths at step " + s);
            float[] e = expected.logits().get(s), a = got.logits().get(s);
            for (int v = 0; v < e.length; v++)
                assertEquals(e[v], a[v], LOGIT_TOL, what + ": logit " + v + " at step " + s);
        }
    }

    @TestFactory
    List<DynamicTest> greedyMatchesNoCache() {
        List<DynamicTest> tests = new ArrayList<>();
        for (long seed = 1; seed <= 24; seed++) {
            long sd = seed;
            tests.add(DynamicTest.dynamicTest("seed " + seed, () -> {
                Setup s = randomSetup(sd);
                int[] prompt = prompt(new Random(sd * 31));
                Run ref = run(new NoCacheGenerator(s.blt(), s.em(), s.patcher()), prompt, STEPS, Sampler.greedy());
                for (boolean prefill : new boolean[] {true, false}) {
                    Run got = run(new CachedGenerator(s.blt(), s.em(), s.patcher(), prefill), prompt, STEPS, Sampler.greedy());
                    assertSameRun(ref, got, s.name() + (prefill ? " (batched prefill)" : " (prompt fed id by id)"));
                }
                // patches of various lengths: not all one byte, not one long patch
                int[] last = ref.lengths().get(STEPS - 1);
                assertTrue(last.length > 3 && last.length < prompt.length + STEPS,
                        s.name() + ": patch lengths " + Arrays.toString(last));
            }));
        }
        return tests;
    }

    @Test
    void sampledIsReproducibleAndMatchesNoCache() {
        for (long seed = 101; seed <= 104; seed++) {
            Setup s = randomSetup(seed);
            int[] prompt = prompt(new Random(seed));
            CachedGenerator cached = new CachedGenerator(s.blt(), s.em(), s.patcher());
            NoCacheGenerator slow = new NoCacheGenerator(s.blt(), s.em(), s.patcher());
            Run c1 = run(cached, prompt, 30, Sampler.of(0.9, 0, 0.95, 77 + seed));
            Run c2 = run(cached, prompt, 30, Sampler.of(0.9, 0, 0.95, 77 + seed));
            Run n1 = run(slow, prompt, 30, Sampler.of(0.9, 0, 0.95, 77 + seed));
            Run n2 = run(slow, prompt, 30, Sampler.of(0.9, 0, 0.95, 77 + seed));
            assertArrayEquals(c1.ids(), c2.ids(), s.name() + ": cached, same seed");
            assertArrayEquals(n1.ids(), n2.ids(), s.name() + ": no-cache, same seed");
            assertSameRun(n1, c1, s.name() + ": sampled");
        }
    }

    @Test
    @Tag("widths") // run again at 256-bit vectors where 512 is preferred (see blt4j-core/pom.xml)
    void batchedRowsEqualSingleRuns() {
        Setup s = randomSetup(7);
        Random rnd = new Random(5);
        int[][] prompts = new int[5][];
        for (int r = 0; r < prompts.length; r++) prompts[r] = prompt(rnd);
        CachedGenerator g = new CachedGenerator(s.blt(), s.em(), s.patcher());
        Sampler[] samplers = new Sampler[prompts.length];
        for (int r = 0; r < prompts.length; r++) samplers[r] = r % 2 == 0 ? Sampler.greedy() : Sampler.of(1.0, 20, 1.0, r);
        List<List<float[]>> logits = new ArrayList<>();
        for (int r = 0; r < prompts.length; r++) logits.add(new ArrayList<>());
        int[] maxLen = {25};
        int[][] batched = g.generate(prompts, maxLen[0], samplers, false, (row, id, step) -> {
            logits.get(row).add(step.logits());
            return row != 3 || logits.get(row).size() < 10; // row 3 stops early
        });
        for (int r = 0; r < prompts.length; r++) {
            Sampler sm = r % 2 == 0 ? Sampler.greedy() : Sampler.of(1.0, 20, 1.0, r);
            int row = r;
            List<float[]> single = new ArrayList<>();
            int[] ids = g.generate(prompts[r], maxLen[0], sm, false, (id, step) -> {
                single.add(step.logits());
                return row != 3 || single.size() < 10;
            });
            assertArrayEquals(ids, batched[r], "row " + r);
            for (int t = 0; t < ids.length; t++)
                assertArrayEquals(single.get(t), logits.get(r).get(t), "row " + r + " step " + t + ": same bits alone or batched");
        }
        assertEquals(10, batched[3].length);
    }

    @Test
    void spaceAndBytePatchingAreIncrementalToo() {
        Setup s = randomSetup(3);
        int[] prompt = ByteTokenizer.encode("Hi, ça va? 12 ok", true, false);
        for (PatcherArgs pa : List.of(PatcherArgs.ofMode(PatchingMode.SPACE), PatcherArgs.ofMode(PatchingMode.BYTE),
                PatcherArgs.ofMode(PatchingMode.SPACE).withMaxPatchLength(2))) {
            Patcher p = pa.build();
            assertTrue(CachedGenerator.supports(p));
            Run ref = run(new NoCacheGenerator(s.blt(), s.em(), p), prompt, 20, Sampler.greedy());
            for (boolean prefill : new boolean[] {true, false}) {
                Run got = run(new CachedGenerator(s.blt(), s.em(), p, prefill), prompt, 20, Sampler.greedy());
                assertSameRun(ref, got, pa + ", prefill " + prefill);
            }
        }
    }

    @Test
    void topKFallsBackToNoCache() {
        Setup s = randomSetup(4);
        Patcher p = PatcherArgs.topK(3).build();
        assertTrue(!CachedGenerator.supports(p));
        int[] prompt = prompt(new Random(4));
        Run ref = run(new NoCacheGenerator(s.blt(), s.em(), p), prompt, 8, Sampler.greedy());
        Run got = run(new CachedGenerator(s.blt(), s.em(), p), prompt, 8, Sampler.greedy());
        assertSameRun(ref, got, "top-k");
    }

    @Test
    void prefillGivesTheStateOfFeedingIdByIdAndLongPromptsWrapTheRings() {
        for (long seed = 201; seed <= 206; seed++) {
            Setup s = randomSetup(seed);
            Random rnd = new Random(seed);
            int[] prompt = prompt(rnd);
            if (seed % 2 == 0) { // longer than every window: the prefilled rings hold only the last positions
                int[] longer = Arrays.copyOf(prompt, prompt.length + 40);
                for (int i = prompt.length; i < longer.length; i++) longer[i] = 4 + rnd.nextInt(256);
                prompt = longer;
            }
            Run ref = run(new NoCacheGenerator(s.blt(), s.em(), s.patcher()), prompt, 20, Sampler.greedy());
            Run got = run(new CachedGenerator(s.blt(), s.em(), s.patcher(), true), prompt, 20, Sampler.greedy());
            assertSameRun(ref, got, s.name() + " prompt of " + prompt.length);
            IncrementalBlt inc = new IncrementalBlt(s.blt(), s.em(), s.patcher());
            IncrementalBlt.State a = inc.newState(), b = inc.newState();
            inc.prefill(a, prompt);
            for (int id : prompt) inc.feed(new IncrementalBlt.State[] {b}, new int[] {id}, 1, null);
            assertArrayEquals(b.patchLengths(), a.patchLengths(), s.name());
            assertEquals(b.closedPatches(), a.closedPatches());
        }
    }

    @Test
    void stateEntropiesMatchTheEntropyModel() {
        Setup s = randomSetup(9);
        IncrementalBlt inc = new IncrementalBlt(s.blt(), s.em(), PatcherArgs.entropy(1e30).build()); // never above
        IncrementalBlt.State st = inc.newState();
        int[] ids = prompt(new Random(99));
        for (int id : ids) inc.feed(new IncrementalBlt.State[] {st}, new int[] {id}, 1, null);
        float[] want = s.em().entropies(ids), got = st.entropies();
        for (int i = 0; i < ids.length; i++) assertEquals(want[i], got[i], 1e-4, "H[" + i + "]");
        assertArrayEquals(new int[] {1, ids.length}, st.patchLengths(), "only positions 0 and 1 start patches");
    }
}
