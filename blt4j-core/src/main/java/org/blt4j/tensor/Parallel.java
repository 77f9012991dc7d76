package org.blt4j.tensor;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The threads all kernels share, sized by {@code -Dblt4j.threads} (default: available processors), and a parallel-for
 * over them. {@link #withThreads} limits the thread count for a scope (1 = run serially, e.g. for benches). Kernels
 * call {@link #forEach} with their FLOP count; small problems run on the calling thread. A parallel-for called from
 * inside another one runs serially, so kernels may nest without oversubscribing the cores.
 *
 * <p>A parallel-for runs on a {@link Team} of threads that spin for a while ({@code -Dblt4j.spinMicros}, default 500)
 * after each job before they sleep: decoding calls hundreds of short kernels (~50 µs) per byte, and waking a sleeping
 * thread costs about as long as such a kernel. A caller that finds the team busy (another thread's kernel) uses a
 * fork-join pool instead.
 */
public final class Parallel {
    private Parallel() {}

    /** Below this many FLOPs (~3-5 µs of work on one core) a kernel is not worth handing to the team. */
    public static final long MIN_PARALLEL_FLOPS = 1L << 18;

    private static final int POOL_SIZE = Math.max(1,
            Integer.getInteger("blt4j.threads", Runtime.getRuntime().availableProcessors()));

    private static final long SPIN_NANOS = 1000L * Math.max(0, Integer.getInteger("blt4j.spinMicros", 500));

    private static final ForkJoinPool POOL = new ForkJoinPool(POOL_SIZE, pool -> {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("blt4j-kernel-" + t.getPoolIndex());
        t.setDaemon(true);
        return t;
    }, null, false);

    /** Thread count in effect for the current scope; unbound = the pool size. */
    private static final ScopedValue<Integer> THREADS = ScopedValue.newInstance();

    private static final Team TEAM = new Team(POOL_SIZE - 1, SPIN_NANOS, Parallel::serial);

    /** Size of the shared pool. */
    public static int poolSize() {
        return POOL_SIZE;
    }

    /** Threads a kernel called here may use (1 inside a parallel region or a {@code withThreads(1, ..)} scope). */
    public static int threads() {
        if (THREADS.isBound()) return THREADS.get();
        return inPool() ? 1 : POOL_SIZE;
    }

    /** Runs body with kernels limited to n threads (n >= 1). */
    public static void withThreads(int n, Runnable body) {
        ScopedValue.where(THREADS, Math.max(1, n)).run(body);
    }

    /** Returns body's value, computed with kernels limited to n threads (n >= 1). */
    public static <T> T withThreads(int n, Supplier<T> body) {
        return ScopedValue.where(THREADS, Math.max(1, n)).call(body::get);
    }

    /**
     * Runs body(i) for every i in [0, n), each index exactly once, in any order and on up to {@link #threads()}
     * threads (the caller is one of them). Serial when {@code flops < MIN_PARALLEL_FLOPS}, n == 1 or threads() == 1.
     * Indices are handed out one at a time from a shared counter, so uneven tasks balance themselves.
     */
    public static void forEach(int n, long flops, IntConsumer body) {
        int workers = Math.min(n, threads());
        if (workers <= 1 || flops < MIN_PARALLEL_FLOPS) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        if (TEAM.tryRun(n, workers - 1, body)) return;
        forkJoin(n, workers, body);
    }

    /** The fork-join way, for a caller that finds the team busy. */
    private static void forkJoin(int n, int workers, IntConsumer body) {
        AtomicInteger next = new AtomicInteger();
        Runnable drain = () -> {
            for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
        };
        // a helper runs only if it claims its flag first; the caller claims the flags of helpers that have not
        // started by the time it is done, so it never waits for a thread that is still being woken up
        AtomicBoolean[] started = new AtomicBoolean[workers - 1];
        List<ForkJoinTask<?>> helpers = new ArrayList<>(workers - 1);
        for (int w = 0; w < workers - 1; w++) {
            AtomicBoolean flag = started[w] = new AtomicBoolean();
            helpers.add(POOL.submit(serial(() -> {
                if (flag.compareAndSet(false, true)) drain.run();
            })));
        }
        try {
            serial(drain).run(); // the caller works too; nested kernels inside it run serially
        } finally {
            for (int w = 0; w < workers - 1; w++)
                if (!started[w].compareAndSet(false, true)) helpers.get(w).join();
        }
    }

    /** body wrapped so that kernels it calls see threads() == 1. */
    private static Runnable serial(Runnable body) {
        return () -> ScopedValue.where(THREADS, 1).run(body);
    }

    /** A fork-join helper (the team's helpers run their whole life with threads() bound to 1). */
    private static boolean inPool() {
        return Thread.currentThread() instanceof ForkJoinWorkerThread w && w.getPool() == POOL;
    }
}
