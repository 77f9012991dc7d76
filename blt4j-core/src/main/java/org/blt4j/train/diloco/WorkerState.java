package org.blt4j.train.diloco;

import org.blt4j.Blt4jException;

/**
 * A worker's inner state after a round, stored as {@code workers/w<W>/round-<R>.bin}: AdamW's moments m, v [P] and
 * step count, the data iterator's position in the worker's shard, and the bytes and targets it has trained on.
 */
record WorkerState(int worker, long round, long adamStep, long dataPosition, long bytesSeen, long targetsSeen, float[] m, float[] v) {
    static final String MAGIC = "BLT4JDLW";

    static String name(int worker, long round) {
        return "workers/w" + worker + "/round-" + round + ".bin";
    }

    byte[] encode() {
        return StateFile.encode(MAGIC, new long[] {worker, round, adamStep, dataPosition, bytesSeen, targetsSeen}, m, v);
    }

    /** Worker w's state of round r from the store, checked against the model's parameter count. */
    static WorkerState read(RunStore store, int worker, long round, int params) {
        String name = name(worker, round);
        byte[] data = store.read(name);
        if (data == null)
            throw new Blt4jException("DiLoCo worker " + worker + ": its state of round " + round + " is missing (" + store.uri(name)
                    + "); the run folder was changed, or the round is replayed after its state was deleted");
        StateFile.Content c = StateFile.decode(data, MAGIC, store.uri(name));
        long[] h = c.header();
        if (h.length != 6 || c.arrays().length != 2) throw new Blt4jException("DiLoCo state " + store.uri(name) + " is corrupt: unexpected layout");
        if (h[0] != worker || h[1] != round)
            throw new Blt4jException("DiLoCo state " + store.uri(name) + " is corrupt: it holds worker " + h[0] + ", round " + h[1]);
        if (c.arrays()[0].length != params || c.arrays()[1].length != params)
            throw new Blt4jException("DiLoCo state " + store.uri(name) + " holds moments of " + c.arrays()[0].length
                    + " parameters, the model has " + params + ": is it the state of this run?");
        return new WorkerState(worker, round, h[2], h[3], h[4], h[5], c.arrays()[0], c.arrays()[1]);
    }
}
