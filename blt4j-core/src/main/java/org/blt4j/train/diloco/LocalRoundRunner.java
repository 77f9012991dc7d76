package org.blt4j.train.diloco;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/** The N workers of a round one after another in this JVM. */
public final class LocalRoundRunner implements RoundRunner {
    private final JsonNode trainConfig;
    private final DiLoCoArgs args;
    private final RunStore store;

    public LocalRoundRunner(JsonNode trainConfig, DiLoCoArgs args, RunStore store) {
        this.trainConfig = trainConfig.deepCopy();
        this.args = args;
        this.store = store;
    }

    @Override
    public List<DiLoCoWorker.RoundResult> run(long round, float[] globalParams) {
        List<DiLoCoWorker.RoundResult> out = new ArrayList<>(args.workers());
        for (int w = 0; w < args.workers(); w++) out.add(DiLoCoWorker.runRound(trainConfig, args, w, round, globalParams, store));
        return out;
    }
}
