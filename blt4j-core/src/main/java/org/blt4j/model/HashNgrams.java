package org.blt4j.model;

import java.util.List;
import org.blt4j.Blt4jException;

/**
 * Hash n-gram ids of the local encoder (docs/computation.md §2, the reference's {@code byte_group_hash_function}).
 *
 * <p>For group size g and hash function f, position i hashes the window {@code t[i-g+1 .. i]} (positions before 0 read as
 * id 0): {@code hash = Σ_j w[j] * prime_f^j}, j = 0 for the oldest element, in wrapping 64-bit arithmetic (as torch int64
 * does), and {@code id = floorMod(hash, vocab)}.
 */
public final class HashNgrams {
    /** The reference's primes, indexed by hash function number. */
    private static final long[] PRIMES = {
        1000000007L, 5915587277L, 1500450271L, 3267000013L, 5754853343L, 4093082899L,
        9576890767L, 3628273133L, 2860486313L, 5463458053L, 3367900313L,
    };

    private HashNgrams() {}

    /** Number of hash functions available (the length of the reference's prime list). */
    public static int maxFunctions() {
        return PRIMES.length;
    }

    /** The prime of hash function {@code funcNb}. */
    public static long prime(int funcNb) {
        checkFunc(funcNb);
        return PRIMES[funcNb];
    }

    /** {@code prime_f^j} for j = 0..g-1, with wrapping multiplication. */
    static long[] primePowers(int groupSize, int funcNb) {
        checkGroup(groupSize);
        long p = prime(funcNb);
        long[] pow = new long[groupSize];
        long acc = 1;
        for (int j = 0; j < groupSize; j++) {
            pow[j] = acc;
            acc *= p; // wraps, like torch int64
        }
        return pow;
    }

    /** Hash ids of every position of a row, in [0, vocab). */
    public static int[] hashIds(int[] tokens, int groupSize, int funcNb, int vocab) {
        checkVocab(vocab);
        long[] pow = primePowers(groupSize, funcNb);
        int[] out = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) out[i] = idAt(tokens, i, pow, vocab);
        return out;
    }

    /**
     * Hash id of position i alone, reading only {@code tokens[i-g+1 .. i]} (zeros before position 0), so that
     * incremental generation can hash a new byte without rehashing the row.
     */
    public static int hashIdAt(int[] tokens, int i, int groupSize, int funcNb, int vocab) {
        checkVocab(vocab);
        if (i < 0 || i >= tokens.length)
            throw new Blt4jException("hash n-grams: position " + i + " is outside the row of " + tokens.length + " ids");
        return idAt(tokens, i, primePowers(groupSize, funcNb), vocab);
    }

    /**
     * All hash tables' ids for a row, in the order of the encoder's {@code encoder_hash_tok_embedding.{k}}:
     * f-major, then group size in list order (k = f * groupSizes.size() + gi). Result is [tables][L].
     */
    public static int[][] allHashIds(int[] tokens, List<Integer> groupSizes, int nbFunctions, int vocab) {
        if (nbFunctions < 0 || nbFunctions > PRIMES.length)
            throw new Blt4jException("hash n-grams: encoder_hash_byte_group_nb_functions must be in 0.." + PRIMES.length
                    + " (one prime per function), got " + nbFunctions);
        int[][] out = new int[nbFunctions * groupSizes.size()][];
        int k = 0;
        for (int f = 0; f < nbFunctions; f++)
            for (int g : groupSizes) out[k++] = hashIds(tokens, g, f, vocab);
        return out;
    }

    /** Hash id of position i with the prime powers of one function and group size ({@link #primePowers}). */
    static int idAt(int[] tokens, int i, long[] pow, int vocab) {
        int g = pow.length;
        long hash = 0;
        for (int j = 0; j < g; j++) {
            int pos = i - g + 1 + j; // j = 0 is the oldest element of the window
            if (pos >= 0) hash += tokens[pos] * pow[j]; // wrapping 64-bit
        }
        return (int) Math.floorMod(hash, (long) vocab);
    }

    private static void checkFunc(int funcNb) {
        if (funcNb < 0 || funcNb >= PRIMES.length)
            throw new Blt4jException("hash n-grams: hash function number must be in 0.." + (PRIMES.length - 1)
                    + " (the reference has " + PRIMES.length + " primes), got " + funcNb);
    }

    private static void checkGroup(int groupSize) {
        if (groupSize < 1) throw new Blt4jException("hash n-grams: group size must be >= 1, got " + groupSize);
    }

    private static void checkVocab(int vocab) {
        if (vocab < 1) throw new Blt4jException("hash n-grams: hash vocabulary must be >= 1, got " + vocab);
    }
}
