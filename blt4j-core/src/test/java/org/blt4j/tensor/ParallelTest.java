package org.blt4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {

    @Test
    void everyIndexRunsExactlyOnce() {
        for (int n : new int[] {0, 1, 7, 1000}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(n, 1));
            Parallel.forEach(n, Long.MAX_VALUE, i -> hits.incrementAndGet(i));
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " i=" + i);
        }
    }

    @Test
    void smallWorkAndOneThreadStayOnTheCaller() {
        Thread me = Thread.currentThread();
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        Parallel.forEach(100, Parallel.MIN_PARALLEL_FLOPS - 1, i -> seen.add(Thread.currentThread()));
        Parallel.withThreads(1, () -> Parallel.forEach(100, Long.MAX_VALUE, i -> seen.add(Thread.currentThread())));
        assertEquals(Set.of(me), seen);
    }

    @Test
    void nestedLoopsRunSeriallyInside() {
        AtomicIntegerArray inner = new AtomicIntegerArray(1);
        Set<Integer> innerThreads = ConcurrentHashMap.newKeySet();
        Parallel.withThreads(2, () -> Parallel.forEach(8, Long.MAX_VALUE, i -> {
            innerThreads.add(Parallel.threads());
            Parallel.forEach(10, Long.MAX_VALUE, j -> inner.incrementAndGet(0));
        }));
        assertEquals(80, inner.get(0));
        assertEquals(Set.of(1), innerThreads);
    }

    @Test
    void scopedThreadCount() {
        assertEquals(Parallel.poolSize(), Parallel.threads());
        assertEquals(1, (int) Parallel.withThreads(1, Parallel::threads));
        assertEquals(3, (int) Parallel.withThreads(3, Parallel::threads));
        assertTrue(Parallel.poolSize() >= 1);
    }

    @Test
    void exceptionsReachTheCaller() {
        assertThrows(IllegalStateException.class, () -> Parallel.withThreads(2, () ->
                Parallel.forEach(64, Long.MAX_VALUE, i -> {
                    if (i == 37) throw new IllegalStateException("boom");
                })));
    }
}
