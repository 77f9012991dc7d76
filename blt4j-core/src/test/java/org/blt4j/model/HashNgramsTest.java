package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;

class HashNgramsTest {

    /** The hash in exact integer arithmetic, reduced mod 2^64 to a signed long, then floor-mod vocab. */
    private static int exactId(int[] t, int i, int g, int f, int vocab) {
        BigInteger p = BigInteger.valueOf(HashNgrams.prime(f));
        BigInteger sum = BigInteger.ZERO;
        for (int j = 0; j < g; j++) {
            int pos = i - g + 1 + j;
            long w = pos >= 0 ? t[pos] : 0;
            sum = sum.add(BigInteger.valueOf(w).multiply(p.pow(j)));
        }
        long wrapped = sum.longValue(); // low 64 bits, two's complement
        return BigInteger.valueOf(wrapped).mod(BigInteger.valueOf(vocab)).intValueExact();
    }

    @Test
    void matchesExactWrappingArithmetic() {
        Random rnd = new Random(7);
        int[] t = new int[50];
        for (int i = 0; i < t.length; i++) t[i] = rnd.nextInt(260);
        for (int f = 0; f < HashNgrams.maxFunctions(); f++)
            for (int g = 1; g <= 8; g++)
                for (int vocab : new int[] {1, 7, 1000, 30000, 500002, Integer.MAX_VALUE}) {
                    int[] ids = HashNgrams.hashIds(t, g, f, vocab);
                    for (int i = 0; i < t.length; i++) {
                        assertEquals(exactId(t, i, g, f, vocab), ids[i], "f=" + f + " g=" + g + " vocab=" + vocab + " i=" + i);
                        assertEquals(ids[i], HashNgrams.hashIdAt(t, i, g, f, vocab));
                        assertTrue(ids[i] >= 0 && ids[i] < vocab);
                    }
                }
    }

    @Test
    void hashIdAtReadsOnlyTheWindow() {
        int[] t = {1, 72, 101, 105, 114, 36};
        int[] full = HashNgrams.hashIds(t, 3, 1, 500002);
        int[] changedPrefix = t.clone();
        changedPrefix[0] = 200;
        changedPrefix[1] = 201;
        // position 5 reads t[3..5] only
        assertEquals(full[5], HashNgrams.hashIdAt(changedPrefix, 5, 3, 1, 500002));
        // the first position of a row hashes [0, 0, t0]: 1 * prime^2
        long p = HashNgrams.prime(1);
        assertEquals((int) Math.floorMod(p * p, 500002L), full[0]);
    }

    @Test
    void allHashIdsInTableOrder() {
        int[] t = {1, 40, 50, 60, 70};
        List<Integer> sizes = List.of(3, 5, 4);
        int[][] all = HashNgrams.allHashIds(t, sizes, 2, 1000);
        assertEquals(6, all.length);
        for (int f = 0; f < 2; f++)
            for (int gi = 0; gi < sizes.size(); gi++)
                assertArrayEquals(HashNgrams.hashIds(t, sizes.get(gi), f, 1000), all[f * sizes.size() + gi]);
        assertEquals(0, HashNgrams.allHashIds(t, sizes, 0, 1000).length);
    }

    @Test
    void validation() {
        int[] t = {1, 2, 3};
        Blt4jException e = assertThrows(Blt4jException.class, () -> HashNgrams.hashIds(t, 3, 11, 1000));
        assertTrue(e.getMessage().contains("0..10"), e.getMessage());
        assertThrows(Blt4jException.class, () -> HashNgrams.hashIds(t, 3, -1, 1000));
        assertThrows(Blt4jException.class, () -> HashNgrams.hashIds(t, 0, 0, 1000));
        assertThrows(Blt4jException.class, () -> HashNgrams.hashIds(t, 3, 0, 0));
        assertThrows(Blt4jException.class, () -> HashNgrams.hashIdAt(t, 3, 3, 0, 1000));
        assertThrows(Blt4jException.class, () -> HashNgrams.allHashIds(t, List.of(3), 12, 1000));
    }
}
