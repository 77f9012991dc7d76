package org.blt4j.patch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

class PatcherTest {
    private static final int[] SIX = {1, 10, 11, 12, 13, 14};

    private static int[] lengths(PatcherArgs args, int[] tokens, float[] h, boolean inc) {
        return args.build().patchLengths(tokens, h, inc);
    }

    @Test
    void globalThreshold() {
        float[] h = {0.5f, 2f, 0.1f, 3f, 0.2f, 2.5f};
        PatcherArgs a = PatcherArgs.entropy(1.0);
        // p starts when H[p-1] > 1: p = 2 (H1), 4 (H3), 6 (H5, only with include_next_token)
        assertArrayEquals(new int[] {1, 1, 2, 2, 1}, lengths(a, SIX, h, true));
        assertArrayEquals(new int[] {1, 1, 2, 2}, lengths(a, SIX, h, false));
        // positions 0 and 1 always start patches, even with nothing above the threshold
        assertArrayEquals(new int[] {1, 6}, lengths(PatcherArgs.entropy(9), SIX, h, true));
        assertArrayEquals(new int[] {1, 5}, lengths(PatcherArgs.entropy(9), SIX, h, false));
    }

    /**
     * A NaN entropy (corrupt or overflowing entropy model weights) is refused, naming its position, by every entropy
     * mode, batch and incremental: compared with θ it is never above, so patches would follow max_patch_length alone.
     */
    @Test
    void aNanEntropyIsRefused() {
        float[] h = {0.5f, 2f, Float.NaN, 3f, 0.2f, 2.5f};
        for (PatcherArgs a : List.of(PatcherArgs.entropy(1.0), PatcherArgs.of("entropy", 0.3, null, true, null, 4.5),
                PatcherArgs.of("entropy", null, null, false, null, 2.0))) {
            Blt4jException e = assertThrows(Blt4jException.class, () -> lengths(a, SIX, h, true), a.toString());
            assertTrue(e.getMessage().contains("position 2 is NaN"), e.getMessage());
        }
        PatchStream s = PatcherArgs.entropy(1.0).build().incremental();
        s.next(SIX[0], 0.5f);
        Blt4jException e = assertThrows(Blt4jException.class, () -> s.next(SIX[1], Float.NaN));
        assertTrue(e.getMessage().contains("position 1 is NaN"), e.getMessage());
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1}, lengths(PatcherArgs.of("byte", null, null, false, null, 4.5), SIX, h, true),
                "a mode without entropies reads none");
    }

    @Test
    void thresholdIsComparedInFloat32() {
        // 0.3 as float is 0.30000001192...: an entropy of exactly (float) 0.3 does not exceed it
        float[] h = {0f, 0.3f, 0.3f};
        assertArrayEquals(new int[] {1, 3}, lengths(PatcherArgs.entropy(0.3), new int[] {1, 5, 6}, h, true));
    }

    @Test
    void monotonic() {
        float[] h = {0f, 5f, 1f, 1.5f, 1.6f, 3f};
        PatcherArgs a = PatcherArgs.of("entropy", 0.3, null, true, null, 4.5);
        // p = 2 always; p >= 3 when H[p-1] - H[p-2] > 0.3: p = 4 (1.5-1), p = 6 (3-1.6)
        assertArrayEquals(new int[] {1, 1, 2, 2, 1}, lengths(a, SIX, h, true));
        assertArrayEquals(new int[] {1, 1, 2, 2}, lengths(a, SIX, h, false));
    }

    @Test
    void thresholdAddNeverStartsAtThree() {
        // H[2] is high and rises, yet p = 3 never starts a patch; p = 5 does (H4 > 1, rise > 0.1)
        float[] h = {0f, 0f, 4f, 0.5f, 2f, 2.05f};
        PatcherArgs a = PatcherArgs.of("entropy", 1.0, 0.1, false, null, 4.5);
        assertArrayEquals(new int[] {1, 1, 3, 2}, lengths(a, SIX, h, true));
        assertInstanceOf(Patcher.EntropyThresholdAdd.class, a.build());
        // monotonicity wins over threshold_add, as in the reference
        assertInstanceOf(Patcher.EntropyMonotonic.class, PatcherArgs.of("entropy", 1.0, 0.1, true, null, 4.5).build());
    }

    @Test
    void topK() {
        int[] t = new int[10];
        float[] h = {0f, 0.1f, 0.9f, 0.2f, 0.8f, 0.3f, 0.7f, 0.4f, 0.6f, 0.5f};
        // 10 // 3 - 2 = 1 extra start: the largest H[p-1] is H2 -> p = 3
        assertArrayEquals(new int[] {1, 2, 8}, lengths(PatcherArgs.topK(3), t, h, true));
        // 10 // 2 - 2 = 3: H2, H4, H6 -> p = 3, 5, 7
        assertArrayEquals(new int[] {1, 2, 2, 2, 3}, lengths(PatcherArgs.topK(2), t, h, false));
        // a chosen p = L is dropped without include_next_token
        float[] last = {0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 5f};
        assertArrayEquals(new int[] {1, 9, 1}, lengths(PatcherArgs.topK(3), t, last, true));
        assertArrayEquals(new int[] {1, 9}, lengths(PatcherArgs.topK(3), t, last, false));
        // fewer than two patches' worth: just the forced starts
        assertArrayEquals(new int[] {1, 3}, lengths(PatcherArgs.topK(4.5), new int[3], new float[3], true));
    }

    @Test
    void staticAndByte() {
        assertArrayEquals(new int[] {4, 3}, lengths(PatcherArgs.fixed(4), SIX, null, true));
        assertArrayEquals(new int[] {4, 2}, lengths(PatcherArgs.fixed(4), SIX, null, false));
        assertArrayEquals(new int[] {3, 3}, lengths(PatcherArgs.fixed(3), SIX, null, false));
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1}, lengths(PatcherArgs.ofMode(PatchingMode.BYTE), SIX, null, true));
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1}, lengths(PatcherArgs.ofMode(PatchingMode.BYTE), SIX, null, false));
    }

    @Test
    void space() {
        PatcherArgs a = PatcherArgs.ofMode(PatchingMode.SPACE);
        int[] t = ByteTokenizer.encode("a, b", true, false); // BOS a , ␣ b
        // "a," | " b": the comma ends its patch; the space after it does not (its predecessor is not a word byte)
        assertArrayEquals(new int[] {1, 2, 2}, lengths(a, t, null, false));
        assertArrayEquals(new int[] {1, 2, 3}, lengths(a, t, null, true));
        // continuation bytes are word bytes, lead bytes are not: "é." -> C3 A9 '.'; C3 after BOS is no end
        int[] u = ByteTokenizer.encode("xé.", true, false); // BOS x C3 A9 .
        assertArrayEquals(new int[] {1, 2, 2}, lengths(a, u, null, false));
        // a trailing end makes the next byte its own patch with include_next_token
        int[] w = ByteTokenizer.encode("ab.", true, false);
        assertArrayEquals(new int[] {1, 3, 1}, lengths(a, w, null, true));
        // any id < 4 ends its patch, even after a non-word byte
        int[] e = {1, 'a' + 4, ' ' + 4, 2, 'b' + 4};
        assertArrayEquals(new int[] {1, 2, 1, 1}, lengths(a, e, null, false));
    }

    /** A static patch_size near 2^31 covers the text in one patch (its length sum wrapped: an index -1); past 2^31: refused. */
    @Test
    void aHugeStaticPatchSizeIsOnePatch() {
        assertArrayEquals(new int[] {7}, lengths(PatcherArgs.fixed(Integer.MAX_VALUE), SIX, null, true));
        Blt4jException e = assertThrows(Blt4jException.class, () -> PatcherArgs.of("static", null, null, false, null, 1e12));
        assertTrue(e.getMessage().contains("at most " + Integer.MAX_VALUE), e.getMessage());
    }

    @Test
    void bpe() {
        PatcherArgs a = PatcherArgs.ofMode(PatchingMode.BPE);
        int[] t = {1, 3, 10, 11, 3, 12, 3};
        // delimiters end their patch; one in the last position is not considered
        assertArrayEquals(new int[] {1, 1, 3, 2}, lengths(a, t, null, false));
        assertArrayEquals(new int[] {1, 1, 3, 2}, lengths(a, new int[] {1, 3, 10, 11, 3, 12}, null, true));
        // with include_next_token the next byte joins the last patch, after the final delimiter
        assertArrayEquals(new int[] {1, 1, 3, 3}, lengths(a, t, null, true));
        // a delimiter at position 0 gives no empty patch
        assertArrayEquals(new int[] {1, 2}, lengths(a, new int[] {3, 10, 11}, null, false));
        // text encoded by blt4j (no delimiters) would be one patch: refused, naming what bpe patching needs
        int[] text = ByteTokenizer.encode("The quick brown fox.", true, false);
        Blt4jException e = assertThrows(Blt4jException.class, () -> lengths(a, text, null, true));
        assertTrue(e.getMessage().contains("bpe patching cuts after BPE delimiters") && e.getMessage().contains("space"), e.getMessage());
        assertArrayEquals(new int[] {1, 1}, lengths(a, new int[] {1, 10}, null, false), "two ids: nothing to cut");
    }

    @Test
    void maxPatchLengthSplits() {
        float[] h = new float[10];
        PatcherArgs a = PatcherArgs.entropy(1.0).withMaxPatchLength(3);
        assertArrayEquals(new int[] {1, 3, 3, 3, 1}, lengths(a, new int[10], h, true));
        assertArrayEquals(new int[] {1, 3, 3, 3}, lengths(a, new int[10], h, false));
        assertArrayEquals(new int[] {3, 1, 3, 1}, lengths(PatcherArgs.fixed(4).withMaxPatchLength(3), new int[8], null, false));
    }

    @Test
    void edgeLengths() {
        Patcher p = PatcherArgs.released().build();
        assertArrayEquals(new int[] {1, 1}, p.patchLengths(new int[] {1}, new float[] {9f}, true));
        assertArrayEquals(new int[] {1}, p.patchLengths(new int[] {1}, new float[] {9f}, false));
        assertArrayEquals(new int[] {1}, p.patchLengths(new int[0], new float[0], true));
        assertArrayEquals(new int[] {}, p.patchLengths(new int[0], new float[0], false));
    }

    @Test
    void batchPadsRows() {
        Patcher p = PatcherArgs.entropy(1.0).build();
        int[][] t = {SIX, {1, 10, 11}};
        float[][] h = {{0f, 2f, 0f, 2f, 0f, 0f}, {0f, 2f, 2f}};
        int[][] got = p.patchLengths(t, h, true);
        assertArrayEquals(new int[][] {{1, 1, 2, 3}, {1, 1, 1, 1}}, got);
        assertThrows(Blt4jException.class, () -> p.patchLengths(t, new float[][] {h[0]}, true));
    }

    @Test
    void incrementalRuleMatchesWholePatching() {
        // the threshold rules decide each position locally: a prefix patches consistently with the whole row
        float[] h = {0.5f, 2f, 0.1f, 3f, 0.2f, 2.5f};
        Patcher p = PatcherArgs.entropy(1.0).build();
        assertTrue(p.isIncremental());
        PatchStream s = p.incremental();
        boolean[] starts = new boolean[h.length];
        for (int i = 0; i < h.length; i++) starts[i] = s.next(10 + i, h[i]);
        assertArrayEquals(new boolean[] {true, true, false, true, false, true}, starts); // position i + 1 starts
        assertTrue(p.needsEntropies());
        assertFalse(PatcherArgs.fixed(2).build().needsEntropies());
    }

    @Test
    void streamGivesTheBatchPatchesOfEveryPrefix() {
        Random rnd = new Random(3);
        List<PatcherArgs> modes = new ArrayList<>();
        for (Integer max : new Integer[] {null, 1, 2, 3}) {
            modes.add(PatcherArgs.entropy(1.0).withMaxPatchLength(max));
            modes.add(new PatcherArgs(PatchingMode.ENTROPY, 0.3, null, true, max, 4.5));
            modes.add(new PatcherArgs(PatchingMode.ENTROPY, 1.0, 0.2, false, max, 4.5));
            modes.add(PatcherArgs.ofMode(PatchingMode.SPACE).withMaxPatchLength(max));
            modes.add(PatcherArgs.ofMode(PatchingMode.BYTE).withMaxPatchLength(max));
        }
        for (PatcherArgs a : modes) {
            Patcher p = a.build();
            int n = 30;
            int[] ids = new int[n];
            float[] h = new float[n];
            for (int i = 0; i < n; i++) {
                ids[i] = rnd.nextInt(4) == 0 ? 4 + ' ' : rnd.nextInt(6) == 0 ? rnd.nextInt(4) : 4 + 'a' + rnd.nextInt(26);
                h[i] = 2f * rnd.nextFloat();
            }
            PatchStream s = p.incremental();
            List<Integer> lengths = new ArrayList<>();
            int open = 0;
            for (int i = 0; i < n; i++) {
                open++;
                if (s.next(ids[i], h[i])) { // position i + 1 starts a patch: the prefix's lengths with include_next_token
                    lengths.add(open);
                    open = 0;
                }
                int[] want = p.patchLengths(Arrays.copyOf(ids, i + 1), Arrays.copyOf(h, i + 1), true);
                int[] got = new int[lengths.size() + 1];
                for (int q = 0; q < lengths.size(); q++) got[q] = lengths.get(q);
                got[lengths.size()] = open + 1;
                assertArrayEquals(want, got, a + " prefix " + (i + 1));
            }
        }
    }

    @Test
    void lookAheadModesAreNotIncremental() {
        for (Patcher p : List.of(PatcherArgs.topK(3).build(), PatcherArgs.fixed(2).build(),
                PatcherArgs.ofMode(PatchingMode.BPE).build())) {
            assertFalse(p.isIncremental());
            Blt4jException e = assertThrows(Blt4jException.class, p::incremental);
            assertTrue(e.getMessage().contains("cannot patch incrementally"), e.getMessage());
        }
    }

    @Test
    void validationErrors() {
        Blt4jException e = assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropic", 1.0, null, false, null, 4.5));
        assertTrue(e.getMessage().contains("'entropic'") && e.getMessage().contains("entropy, static, byte, space, bpe"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> PatcherArgs.of("bpe_patcher", 1.0, null, false, null, 4.5));
        assertTrue(e.getMessage().contains("bpe_patcher"), e.getMessage());
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropy", 1.0, null, false, null, -1));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropy", 1.0, null, false, null, 0));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropy", 1.0, null, false, 0, 4.5));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropy", 1.0, null, false, -2, 4.5));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("entropy", Double.NaN, null, false, null, 4.5));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of("static", null, null, false, null, 4.5));
        assertThrows(Blt4jException.class, () -> PatcherArgs.of(null, 1.0, null, false, null, 4.5));
        Patcher p = PatcherArgs.released().build();
        e = assertThrows(Blt4jException.class, () -> p.patchLengths(SIX, null, true));
        assertTrue(e.getMessage().contains("entropies"), e.getMessage());
        assertThrows(Blt4jException.class, () -> p.patchLengths(SIX, new float[5], true));
    }

    @Test
    void fromJsonDefaults() throws Exception {
        ObjectMapper m = new ObjectMapper();
        PatcherArgs d = PatcherArgs.fromJson(m.readTree("{}"));
        assertEquals(PatcherArgs.released(), d);
        assertInstanceOf(Patcher.EntropyThreshold.class, d.build());
        PatcherArgs topk = PatcherArgs.fromJson(m.readTree("{\"patching_mode\":\"entropy\",\"threshold\":null,\"patch_size\":4}"));
        assertEquals(new Patcher.EntropyTopK(4.0, null), topk.build());
        PatcherArgs full = PatcherArgs.fromJson(m.readTree(
                "{\"patching_mode\":\"entropy\",\"threshold\":0.5,\"threshold_add\":0.1,\"monotonicity\":false,"
                        + "\"max_patch_length\":7,\"patch_size\":4.5,\"patching_device\":\"cuda\"}"));
        assertEquals(new PatcherArgs(PatchingMode.ENTROPY, 0.5, 0.1, false, 7, 4.5), full);
        assertThrows(Blt4jException.class, () -> PatcherArgs.fromJson(m.readTree("{\"patching_mode\":\"spaces\"}")));
        assertThrows(Blt4jException.class, () -> PatcherArgs.fromJson(m.readTree("{\"threshold\":\"high\"}")));
        assertThrows(Blt4jException.class, () -> PatcherArgs.fromJson(m.readTree("{\"max_patch_length\":2.5}")));
        assertThrows(Blt4jException.class, () -> PatcherArgs.fromJson(m.readTree("[]")));
    }
}
