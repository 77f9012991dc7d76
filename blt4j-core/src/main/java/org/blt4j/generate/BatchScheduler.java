package org.blt4j.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.blt4j.Blt4jException;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.IncrementalBlt;
import org.blt4j.patch.Patcher;

/**
 * Continuous batching: one thread owns one {@link IncrementalBlt} and runs one lockstep step per iteration for all
 * active generations, so the weights are read once per step for all of them (the linear layers are one product with
 * M = the number of active rows; attention runs per row on its own caches).
 *
 * <p>A submitted generation joins between two steps: its prompt is prefilled <em>alone</em> (one batched pass per
 * stack, {@link IncrementalBlt#prefill}), at most one prompt between two steps so a long queue does not stall the
 * running rows for more than one prefill at a time; from the next step on it is a row of the batch. A generation
 * leaves at once when it ends: EOS (when asked), max bytes, its listener returning false (stop string, client gone,
 * time limit), {@link Ticket#cancel()}, or an error (an error of the shared step fails every row in it).
 *
 * <p>A row whose byte ends a patch may wait a few steps so that the global stack (per patch, several times the weights
 * of a byte) runs once for several rows (see {@link #step}): with B rows closing patches at different bytes it would
 * otherwise run at nearly every step.
 *
 * <p>Each generation keeps its own sampler (and seed), listener and budget. Rows do not affect each other (the
 * kernels give a row the same bits alone or batched, up to 16 rows per product: a step of more rows runs in groups of
 * 16), so a generation gives the same ids here as
 * {@link CachedGenerator} gives it alone. Listeners run on the scheduler's thread: they must be quick and must not
 * block (hand slow work such as socket writes to another thread).
 *
 * <p>Thread-safe: {@link #submit} and {@link #generate} may be called from any thread.
 */
public final class BatchScheduler implements Generator, AutoCloseable {
    private final IncrementalBlt inc;
    private final int maxBatch, V, eos;
    private final LinkedBlockingQueue<Ticket> pending = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;
    // owned by the scheduler thread
    private final List<Ticket> active = new ArrayList<>();
    private volatile long steps, rowSteps;
    /** a row whose patch closed waits at most this many steps for others to share the global stack with */
    static final int MAX_PARKED_STEPS = 8;

    /**
     * @param patcher  an incremental patcher ({@link CachedGenerator#supports})
     * @param maxBatch most generations in one step (more wait in a queue, first come first served)
     */
    public BatchScheduler(ByteLatentTransformer blt, EntropyModel entropyModel, Patcher patcher, int maxBatch) {
        if (maxBatch < 1) throw new Blt4jException("the batch size must be at least 1, got " + maxBatch);
        this.inc = new IncrementalBlt(blt, entropyModel, patcher);
        this.maxBatch = maxBatch;
        this.V = blt.args().vocabSize();
        this.eos = blt.args().eosId();
        this.thread = Thread.ofPlatform().name("blt4j-batch").daemon().unstarted(this::loop);
        thread.start();
    }

    /** One submitted generation: its result, and a way to cancel it. */
    public static final class Ticket {
        private final int[] prompt;
        private final int maxBytes;
        private final Sampler sampler;
        private final boolean stopAtEos;
        private final Listener listener;
        private final CompletableFuture<int[]> result = new CompletableFuture<>();
        private volatile boolean cancelled;
        // scheduler thread only
        private IncrementalBlt.State state;
        private int[] gen;
        private int made;
        private long joinedAt = -1;
        private long parkedAt = -1;   // the step at which its patch closed and it began to wait for the global stack

        private Ticket(int[] prompt, int maxBytes, Sampler sampler, boolean stopAtEos, Listener listener) {
            this.prompt = prompt;
            this.maxBytes = maxBytes;
            this.sampler = sampler;
            this.stopAtEos = stopAtEos;
            this.listener = listener;
        }

        /** Asks the generation to leave at the next step; the result is then the ids made so far. */
        public void cancel() {
            cancelled = true;
        }

        /** Completes with the generated ids (or the error that ended the generation). */
        public CompletableFuture<int[]> result() {
            return result;
        }

        /** The scheduler's step count at which this generation's first step ran (-1 before it joined). */
        public long joinedAt() {
            return joinedAt;
        }

        /** Waits for the generated ids; cancels the generation when interrupted. */
        public int[] await() throws InterruptedException {
            try {
                return result.get();
            } catch (InterruptedException e) {
                cancel();
                throw e;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                if (e.getCause() instanceof Error err) throw err;
                throw new Blt4jException("generation failed: " + e.getCause(), e.getCause());
            }
        }
    }

    /**
     * Queues a generation of up to maxBytes ids after prompt (which starts with BOS); it stops at EOS (when
     * stopAtEos) or when the listener (called on the scheduler's thread, may be null) returns false.
     */
    public Ticket submit(int[] prompt, int maxBytes, Sampler sampler, boolean stopAtEos, Listener listener) {
        if (prompt.length == 0) throw new Blt4jException("empty prompt: it must start with BOS");
        for (int id : prompt)
            if (id < 0 || id >= V) throw new Blt4jException("token id " + id + " is outside the vocabulary [0, " + V + ")");
        Ticket t = new Ticket(prompt.clone(), maxBytes, sampler, stopAtEos, listener);
        if (closed) throw new IllegalStateException("the batch scheduler is closed");
        pending.add(t);
        return t;
    }

    /** {@link #submit} and wait: the listener runs on the scheduler's thread. */
    @Override
    public int[] generate(int[] prompt, int maxBytes, Sampler sampler, boolean stopAtEos, Listener listener) {
        Ticket t = submit(prompt, maxBytes, sampler, stopAtEos, listener);
        try {
            return t.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancellationException("interrupted while generating");
        }
    }

    /** Most generations in one step. */
    public int maxBatch() {
        return maxBatch;
    }

    /** Lockstep steps run so far. */
    public long steps() {
        return steps;
    }

    /** Rows fed over all steps (more than {@link #steps()}: some steps decoded several generations together). */
    public long rowSteps() {
        return rowSteps;
    }

    /** Stops the scheduler: running and queued generations fail with a CancellationException. */
    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Ticket t; (t = pending.poll()) != null; ) t.result.completeExceptionally(new CancellationException("scheduler closed"));
    }

    // ---- the scheduler thread ----

    private void loop() {
        float[] logits = new float[maxBatch * V];
        IncrementalBlt.State[] rows = new IncrementalBlt.State[maxBatch];
        int[] ids = new int[maxBatch];
        try {
            while (!closed) {
                Ticket t = active.isEmpty() ? pending.poll(1, TimeUnit.SECONDS)
                        : active.size() < maxBatch ? pending.poll() : null;
                if (t != null) join(t);
                active.removeIf(a -> a.cancelled && finish(a));
                if (!active.isEmpty()) step(rows, ids, logits);
            }
        } catch (InterruptedException e) {
            // closed
        } finally {
            for (Ticket a : active) a.result.completeExceptionally(new CancellationException("scheduler closed"));
            active.clear();
        }
    }

    /** Prefills t's prompt alone and emits its first id; it joins the batch unless that already ended it. */
    private void join(Ticket t) {
        if (t.cancelled || t.maxBytes <= 0) {
            t.result.complete(new int[0]);
            return;
        }
        try {
            t.state = inc.newState();
            t.gen = new int[Math.clamp(t.maxBytes, 1, 256)];  // grown as bytes come
            float[] first = inc.prefill(t.state, t.prompt);
            t.joinedAt = steps;
            if (emit(t, first, 0)) active.add(t);
            else finish(t);
        } catch (RuntimeException | Error e) {
            t.state = null;
            t.result.completeExceptionally(e);
        }
    }

    /**
     * One lockstep step. The rows not waiting go through the entropy model and the encoder ({@link IncrementalBlt#front});
     * a row whose byte ends a patch then waits (it is <em>parked</em>) so that the global stack, whose weights are
     * several times those of a byte, runs once for several such rows. The parked rows go on, all together, once they
     * are more than half of the batch, or no other row is left to step, or the oldest has waited {@link #MAX_PARKED_STEPS};
     * with one generation that is at once. Then the decoder runs for the rows going on ({@link IncrementalBlt#back}),
     * each draws its next id, and finished rows leave. Parking delays a row, never changes its bits.
     */
    private void step(IncrementalBlt.State[] rows, int[] ids, float[] logits) {
        int n = 0;
        for (Ticket t : active)
            if (t.parkedAt < 0) {
                rows[n] = t.state;
                ids[n++] = t.gen[t.made - 1];
            }
        List<Ticket> going = new ArrayList<>(active.size());
        try {
            if (n > 0) front(rows, ids, n);
            boolean stepped = false;
            long oldest = Long.MAX_VALUE;
            int parked = 0;
            for (Ticket t : active) {
                if (t.parkedAt < 0) {
                    if (t.state.closesPatch()) t.parkedAt = steps;
                    else {
                        going.add(t);
                        stepped = true;
                    }
                }
                if (t.parkedAt >= 0) {
                    parked++;
                    oldest = Math.min(oldest, t.parkedAt);
                }
            }
            if (parked > 0 && (2 * parked > active.size() || !stepped || steps - oldest >= MAX_PARKED_STEPS)) {
                for (Ticket t : active)
                    if (t.parkedAt >= 0) {
                        t.parkedAt = -1;
                        if (!going.contains(t)) going.add(t);
                    }
            }
            // rows in active order: a row's place in the product never matters, but keep it stable
            going.sort(java.util.Comparator.comparingInt(active::indexOf));
            for (int r = 0; r < going.size(); r++) rows[r] = going.get(r).state;
            back(rows, going.size(), logits);
        } catch (RuntimeException | Error e) {
            for (Ticket t : active) {
                t.state = null;
                t.result.completeExceptionally(e);
            }
            active.clear();
            return;
        } finally {
            Arrays.fill(rows, null);
        }
        steps++;
        rowSteps += going.size();
        List<Ticket> done = null;
        for (int r = 0; r < going.size(); r++) {
            Ticket t = going.get(r);
            boolean more;
            try {
                more = emit(t, logits, r * V);
            } catch (RuntimeException | Error e) {
                t.state = null;
                t.result.completeExceptionally(e);
                more = false;
            }
            if (!more) (done == null ? done = new ArrayList<>() : done).add(t);
        }
        if (done != null)
            for (Ticket t : done) {
                active.remove(t);
                if (!t.result.isDone()) finish(t);
            }
    }

    /**
     * {@link IncrementalBlt#front} for rows [0, n) in groups of at most {@link #EXACT_ROWS}: the products keep a row's
     * bits alone up to that many rows (past it they take the prompt path), so a larger batch reads the weights once
     * per group instead of once per step.
     */
    private void front(IncrementalBlt.State[] rows, int[] ids, int n) {
        if (n <= EXACT_ROWS) {
            inc.front(rows, ids, n);
            return;
        }
        for (int from = 0; from < n; from += EXACT_ROWS) {
            int len = Math.min(EXACT_ROWS, n - from);
            inc.front(Arrays.copyOfRange(rows, from, from + len), Arrays.copyOfRange(ids, from, from + len), len);
        }
    }

    /** {@link IncrementalBlt#back} for rows [0, n), logits into logits[r*V ..], in groups as {@link #front}. */
    private void back(IncrementalBlt.State[] rows, int n, float[] logits) {
        if (n <= EXACT_ROWS) {
            inc.back(rows, n, logits);
            return;
        }
        float[] part = new float[EXACT_ROWS * V];
        for (int from = 0; from < n; from += EXACT_ROWS) {
            int len = Math.min(EXACT_ROWS, n - from);
            inc.back(Arrays.copyOfRange(rows, from, from + len), len, part);
            System.arraycopy(part, 0, logits, from * V, len * V);
        }
    }

    /** Rows per product that keep the bits of a row alone (Bf16Gemm, Int8Gemm: up to 16; the fp32 small-M path: 32). */
    static final int EXACT_ROWS = 16;

    /** t's next id from logits[off ..]; returns whether t goes on (the same rule as CachedGenerator's). */
    private boolean emit(Ticket t, float[] logits, int off) {
        int next = t.sampler.next(logits, off, V);
        if (t.made == t.gen.length) t.gen = Arrays.copyOf(t.gen, (int) Math.min(t.maxBytes, 2L * t.made));
        t.gen[t.made++] = next;
        boolean more = t.listener == null || t.listener.onToken(next,
                new Step(t.state.patchLengths(), Arrays.copyOfRange(logits, off, off + V)));
        return more && !t.cancelled && t.made < t.maxBytes && !(t.stopAtEos && next == eos);
    }

    /** Completes t with its ids and drops its caches; true (for removeIf). */
    private static boolean finish(Ticket t) {
        t.state = null;
        t.result.complete(Arrays.copyOf(t.gen, t.made));
        return true;
    }
}
