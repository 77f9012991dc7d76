package org.blt4j.data;

import org.blt4j.text.Documents;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.blt4j.patch.PatchLengths;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.patch.PatchingMode;
import org.junit.jupiter.api.Test;

class BltPackerTest {
    private static final int[] IDS;
    private static final float[] H;

    static {
        List<byte[]> docs = new ArrayList<>();
        Random rnd = new Random(3);
        for (int d = 0; d < 12; d++) {
            StringBuilder sb = new StringBuilder();
            int words = 5 + rnd.nextInt(40);
            for (int w = 0; w < words; w++) sb.append("word").append(rnd.nextInt(100)).append(rnd.nextBoolean() ? ", " : " ");
            docs.add(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        IDS = TokenStream.encode(docs);
        H = new float[IDS.length];
        for (int i = 0; i < H.length; i++) H[i] = rnd.nextFloat() * 3;
    }

    /** The layout invariants of the class comment, for every row of a batch. */
    private static void checkBatch(BltPacker.Batch b, int P) {
        int W = b.length();
        for (int r = 0; r < b.x().length; r++) {
            int[] len = b.patchLengths()[r];
            assertEquals(P, len.length);
            assertEquals(W + 1, PatchLengths.sum(len), "lengths sum to len(x) + 1");
            assertEquals(1, len[0], "first patch is one id");
            int n = 0;
            while (n < W && b.mask()[r][n]) n++;
            for (int i = n; i < W; i++) {
                assertTrue(!b.mask()[r][i] && b.x()[r][i] == 0 && b.y()[r][i] == 0, "padding after the real targets");
            }
            for (int i = 0; i + 1 < n; i++) assertEquals(b.x()[r][i + 1], b.y()[r][i], "y is x shifted by one");
            assertTrue(n >= 1);
        }
    }

    @Test
    void everyRowHasPPatchesSummingToLenXPlusOneWithFirstPatchOne() {
        for (PatcherArgs args : List.of(PatcherArgs.entropy(1.5), PatcherArgs.fixed(4), PatcherArgs.ofMode(PatchingMode.SPACE),
                PatcherArgs.entropy(1.0).withMaxPatchLength(3))) {
            BltPacker p = new BltPacker(IDS, H, args, new BltPacker.Config(3, 6, null, false, null));
            for (int k = 0; k < 10; k++) checkBatch(p.next(), 6);
        }
    }

    @Test
    void rowsFollowThePatchStreamWithTheReferenceShift() {
        PatcherArgs args = PatcherArgs.fixed(4);           // static: patch 0 is 4 long, so every row is shifted
        BltPacker p = new BltPacker(IDS, null, args, new BltPacker.Config(1, 5, null, false, null));
        // chunk 0: patches of 4 ids per document; the first document's first 5 patches start at 0
        BltPacker.Row r = p.row(0);
        int[] docLens = args.build().patchLengths(Arrays.copyOf(IDS, Documents.starts(IDS)[1]), null, false);
        int[] expect = {1, docLens[0] - 1, docLens[1], docLens[2], docLens[3]};
        assertArrayEquals(expect, r.patchLengths());
        int T = PatchLengths.sum(expect);
        assertArrayEquals(Arrays.copyOfRange(IDS, 0, T - 1), r.x());
        assertArrayEquals(Arrays.copyOfRange(IDS, 1, T), r.y());
    }

    @Test
    void documentsArePatchedOnTheirOwn() {
        BltPacker p = new BltPacker(IDS, H, PatcherArgs.entropy(1.5), new BltPacker.Config(1, 2, null, false, null));
        int total = 0;
        int[] starts = Documents.starts(IDS);
        for (int d = 0; d < starts.length; d++) {
            int to = d + 1 < starts.length ? starts[d + 1] : IDS.length;
            total += PatcherArgs.entropy(1.5).build().patchLengths(Arrays.copyOfRange(IDS, starts[d], to),
                    Arrays.copyOfRange(H, starts[d], to), false).length;
        }
        assertEquals(total, p.patchCount());
        assertEquals(total / 2, p.rowsPerEpoch());
    }

    @Test
    void maskCoversExactlyTheRealTargets() {
        BltPacker p = new BltPacker(IDS, H, PatcherArgs.entropy(1.5), new BltPacker.Config(4, 7, null, false, null));
        for (int k = 0; k < 5; k++) {
            long first = p.position();
            BltPacker.Batch b = p.next();
            long real = 0;
            for (int r = 0; r < 4; r++) {
                BltPacker.Row row = p.row(first + r);
                real += row.x().length;
                assertArrayEquals(row.y(), Arrays.copyOf(b.y()[r], row.y().length));
            }
            assertEquals(real, b.targets());
            int maxN = 0;
            for (int r = 0; r < 4; r++) maxN = Math.max(maxN, p.row(first + r).x().length);
            assertEquals(maxN, b.length());
        }
    }

    @Test
    void maxLengthCutsRowsAndPadToMaxLengthPads() {
        BltPacker p = new BltPacker(IDS, H, PatcherArgs.entropy(0.5), new BltPacker.Config(2, 30, 20, false, null));
        for (int k = 0; k < 5; k++) {
            BltPacker.Batch b = p.next();
            assertTrue(b.length() <= 20);
            checkBatch(b, 30);
        }
        BltPacker padded = new BltPacker(IDS, H, PatcherArgs.entropy(2.0), new BltPacker.Config(2, 3, 64, true, null));
        BltPacker.Batch b = padded.next();
        assertEquals(64, b.length());
        checkBatch(b, 3);
    }

    @Test
    void seekResumesWithIdenticalBatches() {
        for (Long seed : new Long[] {null, 5L}) {
            BltPacker.Config c = new BltPacker.Config(2, 5, null, false, seed);
            BltPacker a = new BltPacker(IDS, H, PatcherArgs.entropy(1.5), c);
            List<BltPacker.Batch> all = new ArrayList<>();
            for (int k = 0; k < 3 * (int) a.rowsPerEpoch(); k++) all.add(a.next());   // wraps around epochs
            BltPacker b = new BltPacker(IDS, H, PatcherArgs.entropy(1.5), c);
            b.seek(all.get(11).firstRow());
            for (int k = 11; k < all.size(); k++) {
                BltPacker.Batch want = all.get(k), got = b.next();
                assertTrue(Arrays.deepEquals(want.x(), got.x()) && Arrays.deepEquals(want.y(), got.y())
                        && Arrays.deepEquals(want.mask(), got.mask()) && Arrays.deepEquals(want.patchLengths(), got.patchLengths()), "batch " + k);
            }
        }
    }

    @Test
    void badInputsSayWhatToDo() {
        Blt4jException e = assertThrows(Blt4jException.class,
                () -> new BltPacker(IDS, null, PatcherArgs.entropy(1.5), new BltPacker.Config(1, 4, null, false, null)));
        assertTrue(e.getMessage().contains("needs the entropies"), e.getMessage());
        e = assertThrows(Blt4jException.class,
                () -> new BltPacker(IDS, new float[3], PatcherArgs.entropy(1.5), new BltPacker.Config(1, 4, null, false, null)));
        assertTrue(e.getMessage().contains("entropies"), e.getMessage());
        e = assertThrows(Blt4jException.class,
                () -> new BltPacker(new int[] {1, 5, 2}, null, PatcherArgs.fixed(2), new BltPacker.Config(1, 4, null, false, null)));
        assertTrue(e.getMessage().contains("fewer than one row"), e.getMessage());
        assertThrows(Blt4jException.class, () -> new BltPacker.Config(1, 1, null, false, null));
        assertThrows(Blt4jException.class, () -> new BltPacker.Config(1, 4, null, true, null));
    }
}
