package org.blt4j.tensor;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;
import java.util.function.UnaryOperator;

/**
 * A fixed set of helper threads for {@link Parallel#forEach}, used by one caller at a time. After a job a helper spins
 * (on {@link Thread#onSpinWait}) for {@code spinNanos} waiting for the next one, and only then parks, so that a caller
 * issuing many short kernels back to back (decoding: ~50 µs each) finds its helpers awake.
 *
 * <p>Protocol: the caller publishes a {@link Job} in {@link #current}, unparks helpers that sleep, and drains indices
 * from the job's counter itself; a helper that sees the job takes a ticket (at most {@code maxHelpers} help), counts
 * itself {@code active} and drains too. The caller returns once its drain found the counter exhausted and no helper is
 * active: a helper that arrives later claims nothing.
 */
final class Team {
    private final Worker[] workers;
    private final long spinNanos;
    private final UnaryOperator<Runnable> scope;
    private final AtomicBoolean busy = new AtomicBoolean();
    private volatile Job current;

    /** @param scope wraps every drain (helpers' and the caller's), e.g. to make nested kernels run serially */
    Team(int size, long spinNanos, UnaryOperator<Runnable> scope) {
        this.spinNanos = spinNanos;
        this.scope = scope;
        workers = new Worker[Math.max(0, size)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker("blt4j-team-" + i);
            workers[i].start();
        }
    }

    /**
     * Runs body(i) for i in [0, n) on the caller and up to maxHelpers helpers; false (nothing run) when the team is
     * busy with another caller's job or has no helpers.
     */
    boolean tryRun(int n, int maxHelpers, IntConsumer body) {
        if (workers.length == 0 || maxHelpers <= 0 || !busy.compareAndSet(false, true)) return false;
        Job job = new Job(n, body, maxHelpers);
        try {
            current = job;
            for (Worker w : workers) if (w.parked) LockSupport.unpark(w);
            scope.apply(job::drain).run();
            while (job.active.get() != 0) Thread.onSpinWait();
        } finally {
            current = null;
            busy.set(false);
        }
        Throwable e = job.error;
        if (e instanceof RuntimeException re) throw re;
        if (e instanceof Error err) throw err;
        if (e != null) throw new RuntimeException(e);
        return true;
    }

    private static final class Job {
        final int n, maxHelpers;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger(), tickets = new AtomicInteger(), active = new AtomicInteger();
        volatile Throwable error;

        Job(int n, IntConsumer body, int maxHelpers) {
            this.n = n;
            this.body = body;
            this.maxHelpers = maxHelpers;
        }

        void drain() {
            try {
                for (int i; (i = next.getAndIncrement()) < n; ) body.accept(i);
            } catch (Throwable t) {
                if (error == null) error = t;
                next.set(n); // nobody claims more
            }
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            scope.apply(this::loop).run();
        }

        private void loop() {
            Job seen = null;
            while (true) {
                Job job = await(seen);
                seen = job;
                if (job == null || job.tickets.getAndIncrement() >= job.maxHelpers) continue;
                job.active.incrementAndGet();
                try {
                    job.drain();
                } finally {
                    job.active.decrementAndGet();
                }
            }
        }

        /** The next value of current other than seen: spins for spinNanos, then parks until a caller unparks it. */
        private Job await(Job seen) {
            long deadline = System.nanoTime() + spinNanos;
            for (int spins = 1; ; spins++) {
                Job job = current;
                if (job != seen) return job;
                if ((spins & 255) == 0) {
                    if (System.nanoTime() > deadline) break;
                    Thread.yield(); // lets other runnable threads (a second caller, its fork-join helpers) have the core
                }
                Thread.onSpinWait();
            }
            parked = true; // then re-read current: a caller publishes first, then reads parked
            try {
                Job job;
                while ((job = current) == seen) LockSupport.park(this);
                return job;
            } finally {
                parked = false;
            }
        }
    }
}
