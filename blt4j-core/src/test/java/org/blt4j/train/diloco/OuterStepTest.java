package org.blt4j.train.diloco;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.blt4j.Blt4jException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The outer step against a hand computation, the args' ranges, the state file's checks. */
class OuterStepTest {
    @TempDir
    Path tmp;

    @Test
    void nesterovMatchesHandComputation() {
        // two workers; θ = [1, -2], deltas [0.2, 0.4] and [0.4, -0.2] → Δ = [0.3, 0.1]; lr 0.7, μ 0.9
        float[] theta = {1f, -2f}, buf = new float[2];
        float[] d = OuterStep.meanDelta(List.of(new float[] {0.2f, 0.4f}, new float[] {0.4f, -0.2f}));
        assertEquals(0.3, d[0], 1e-7);
        assertEquals(0.1, d[1], 1e-7);
        OuterStep.nesterov(theta, buf, d, 0.7, 0.9);
        // b = Δ; θ = θ − 0.7·(Δ + 0.9·Δ) = θ − 1.33·Δ
        assertEquals(0.3, buf[0], 1e-7);
        assertEquals(1 - 1.33 * 0.3, theta[0], 1e-6);
        assertEquals(-2 - 1.33 * 0.1, theta[1], 1e-6);
        // second step with Δ' = [-0.1, 0.5]: b = 0.9·b + Δ'; θ −= 0.7·(Δ' + 0.9·b)
        OuterStep.nesterov(theta, buf, new float[] {-0.1f, 0.5f}, 0.7, 0.9);
        double b0 = 0.9 * 0.3 - 0.1, b1 = 0.9 * 0.1 + 0.5;
        assertEquals(b0, buf[0], 1e-6);
        assertEquals(b1, buf[1], 1e-6);
        assertEquals(1 - 1.33 * 0.3 - 0.7 * (-0.1 + 0.9 * b0), theta[0], 1e-6);
        assertEquals(-2 - 1.33 * 0.1 - 0.7 * (0.5 + 0.9 * b1), theta[1], 1e-6);
    }

    @Test
    void lrOneMomentumZeroAppliesTheDelta() {
        float[] theta = {0.5f, 3f}, buf = new float[2];
        OuterStep.nesterov(theta, buf, new float[] {0.25f, -1f}, 1.0, 0.0);
        assertEquals(0.25f, theta[0]);
        assertEquals(4f, theta[1]);
    }

    @Test
    void badArgsAreRefused() {
        assertThrows(Blt4jException.class, () -> DiLoCoArgs.defaults(0));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 0, 0.7, 0.9));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 10, 0, 0.9));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 10, -1, 0.9));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 10, Double.NaN, 0.9));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 10, 0.7, -0.1));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(2, 10, 0.7, 1.0));
        DiLoCoArgs d = DiLoCoArgs.defaults(4);
        assertEquals(new DiLoCoArgs(4, 500, 0.7, 0.9), d);
        assertEquals(3, new DiLoCoArgs(1, 5, 1, 0).rounds(11));
        assertEquals(1, new DiLoCoArgs(1, 5, 1, 0).stepsInRound(2, 11));
        assertThrows(Blt4jException.class, () -> new DiLoCoArgs(1, 5, 1, 0).stepsInRound(3, 11));
    }

    @Test
    void workerStateRoundTripsAndRefusesCorruptOrMissing() {
        RunStore store = new LocalRunStore(tmp);
        WorkerState s = new WorkerState(1, 4, 12, 96, 1000, 900, new float[] {1, 2, 3}, new float[] {4, 5, 6});
        store.write(WorkerState.name(1, 4), s.encode());
        WorkerState r = WorkerState.read(store, 1, 4, 3);
        assertEquals(12, r.adamStep());
        assertEquals(96, r.dataPosition());
        assertEquals(6f, r.v()[2]);
        byte[] bad = s.encode();
        bad[bad.length / 2] ^= 1;
        store.write(WorkerState.name(1, 4), bad);
        Blt4jException e = assertThrows(Blt4jException.class, () -> WorkerState.read(store, 1, 4, 3));
        assertTrue(e.getMessage().contains("workers/w1/round-4.bin") && e.getMessage().contains("checksum"), e.getMessage());
        e = assertThrows(Blt4jException.class, () -> WorkerState.read(store, 0, 4, 3));
        assertTrue(e.getMessage().contains("workers/w0/round-4.bin") && e.getMessage().contains("missing"), e.getMessage());
        store.write(WorkerState.name(1, 4), s.encode());
        e = assertThrows(Blt4jException.class, () -> WorkerState.read(store, 1, 4, 7));
        assertTrue(e.getMessage().contains("3 parameters"), e.getMessage());
        store.delete(WorkerState.name(1, 4));
        store.delete(WorkerState.name(1, 4));   // absent is fine
        assertEquals(null, store.read(WorkerState.name(1, 4)));
        assertThrows(Blt4jException.class, () -> store.read("../x"));
    }
}
