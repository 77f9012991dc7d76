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

    @Test
    void concurrentCallersEachGetEveryIndexOnce() throws Exception {
        // one caller holds the spinning team, the others fall back to the fork-join pool: all must be exact
        int callers = 4, rounds = 300, n = 64;
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread[] ts = new Thread[callers];
        for (int c = 0; c < callers; c++) {
            ts[c] = new Thread(() -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        AtomicIntegerArray hits = new AtomicIntegerArray(n);
                        Parallel.forEach(n, Long.MAX_VALUE, i -> hits.incrementAndGet(i));
                        for (int i = 0; i < n; i++) if (hits.get(i) != 1) throw new AssertionError("index " + i + " ran " + hits.get(i) + " times");
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            });
            ts[c].start();
        }
        for (Thread t : ts) t.join();
        if (failure.get() != null) throw new AssertionError(failure.get());
    }

    @Test
    void teamStillWorksAfterAnExceptionAndAfterSleeping() throws Exception {
        for (int k = 0; k < 20; k++) {
            int bad = k % 8;
            assertThrows(IllegalStateException.class, () -> Parallel.forEach(8, Long.MAX_VALUE, i -> {
                if (i == bad) throw new IllegalStateException("boom");
            }));
        }
        Thread.sleep(20); // helpers have stopped spinning and sleep: the next loop must wake them
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        AtomicIntegerArray hits = new AtomicIntegerArray(40);
        Parallel.forEach(40, Long.MAX_VALUE, i -> {
            seen.add(Thread.currentThread());
            hits.incrementAndGet(i);
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        for (int i = 0; i < 40; i++) assertEquals(1, hits.get(i));
        if (Parallel.poolSize() > 1) assertTrue(seen.size() > 1, "a woken helper took part");
    }
}
