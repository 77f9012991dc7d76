package org.blt4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.diloco.DiLoCo;
import org.blt4j.train.diloco.DiLoCoArgs;
import org.blt4j.train.diloco.LocalRoundRunner;
import org.blt4j.train.diloco.LocalRunStore;
import org.blt4j.train.diloco.RunStore;
import org.blt4j.train.diloco.ShardTasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j train-diloco: DiLoCo data-parallel training with its workers one after another in this JVM. */
@Command(name = "train-diloco", mixinStandardHelpOptions = true,
        description = {"Train with DiLoCo (Douillard et al., 2023): N workers on shards of the training documents, H inner AdamW"
                + " steps each per round, an outer Nesterov step on their mean parameter delta. The workers run one after"
                + " another in this JVM (blt4j-spark runs them as Spark tasks). The model is the config's: a BLT when"
                + " data.entropy_model is set, a token LM when model.tokenizer is, else the entropy model."})
public class TrainDiLoCoCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "training config, YAML or JSON (train.steps required)")
    protected Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config value (repeatable)")
    protected List<String> overrides = new ArrayList<>();

    @Option(names = "--steps", description = "override train.steps (inner steps in all)")
    protected Integer steps;

    @Option(names = "--out", paramLabel = "DIR", description = "override train.out (the run folder)")
    protected Path out;

    @Option(names = "--workers", paramLabel = "N", defaultValue = "2", description = "workers (default ${DEFAULT-VALUE})")
    protected int workers;

    @Option(names = "--inner-steps", paramLabel = "H", defaultValue = "500", description = "inner steps per round (default ${DEFAULT-VALUE})")
    protected int innerSteps;

    @Option(names = "--outer-lr", paramLabel = "LR", defaultValue = "0.7", description = "outer learning rate (default ${DEFAULT-VALUE})")
    protected double outerLr;

    @Option(names = "--outer-momentum", paramLabel = "MU", defaultValue = "0.9", description = "outer Nesterov momentum (default ${DEFAULT-VALUE})")
    protected double outerMomentum;

    @Option(names = "--resume", description = "continue the run in train.out from its newest checkpoint (with the run's own"
            + " --workers, --inner-steps, --outer-lr and --outer-momentum unless given)")
    protected boolean resume;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        List<String> o = new ArrayList<>(overrides);
        if (steps != null) o.add("train.steps=" + steps);
        if (out != null) o.add("train.out=" + out);
        TrainConfig cfg = TrainConfig.load(config, o);
        Path runDir = Path.of(cfg.train().out()).toAbsolutePath().normalize();
        if (resume) {
            checkResumable(cfg, runDir);
            savedArgs(runDir);
        }
        DiLoCoArgs args = new DiLoCoArgs(workers, innerSteps, outerLr, outerMomentum);
        System.out.printf("DiLoCo: %s model, %d workers, H %d, outer lr %s, momentum %s; run folder %s%n", ShardTasks.kindOf(cfg),
                workers, innerSteps, outerLr, outerMomentum, runDir);
        DiLoCo.Result r = train(cfg, args, runDir);
        System.out.printf("done: %d rounds, %d inner steps; held-out %.4f bpb; %,d bytes over the wire per round (θ out, %d deltas back)%n",
                r.rounds(), r.innerSteps(), r.heldOutBpb(), r.bytesSentPerRound(), workers);
        System.out.println("checkpoint " + r.lastCheckpoint() + "; metrics " + runDir.resolve("metrics.jsonl"));
        return 0;
    }

    /** Runs the rounds: here the workers one after another in this JVM; blt4j-spark runs them as Spark tasks. */
    protected DiLoCo.Result train(TrainConfig cfg, DiLoCoArgs args, Path runDir) {
        RunStore store = new LocalRunStore(runDir);
        return new DiLoCo(cfg, args, store, runDir, System.out).run(new LocalRoundRunner(cfg.toTree(), args, store), resume, Long.MAX_VALUE);
    }

    /** On resume, the DiLoCo options not given on the command line are the run's own (its checkpoint's state). */
    private void savedArgs(Path runDir) {
        com.fasterxml.jackson.databind.JsonNode d = TrainCheckpoint.readState(org.blt4j.train.diloco.DiLoCo.checkpointToResume(runDir))
                .extra().path("diloco");
        if (!d.isObject() || spec == null) return;
        savedArgs(d, spec.commandLine().getParseResult());
    }

    /** d: the checkpoint's "diloco" state; a subclass that adds options the run records takes them here too. */
    protected void savedArgs(com.fasterxml.jackson.databind.JsonNode d, picocli.CommandLine.ParseResult given) {
        if (!given.hasMatchedOption("--workers")) workers = d.path("workers").asInt(workers);
        if (!given.hasMatchedOption("--inner-steps")) innerSteps = d.path("inner_steps").asInt(innerSteps);
        if (!given.hasMatchedOption("--outer-lr")) outerLr = d.path("outer_lr").asDouble(outerLr);
        if (!given.hasMatchedOption("--outer-momentum")) outerMomentum = d.path("outer_momentum").asDouble(outerMomentum);
    }

    /** The run's saved config may differ from this one only in {@link TrainConfig#RESUMABLE} keys. */
    private static void checkResumable(TrainConfig cfg, Path runDir) {
        var st = TrainCheckpoint.readState(org.blt4j.train.diloco.DiLoCo.checkpointToResume(runDir));
        TrainConfig saved = TrainConfig.fromTree((ObjectNode) st.trainConfig(), List.of(), runDir + "/state.json");
        List<String> changed = cfg.changedFrom(saved);
        if (!changed.isEmpty())
            throw new Blt4jException("--resume " + runDir + ": the config differs from the run's in " + String.join(", ", changed)
                    + "; only " + new java.util.TreeSet<>(TrainConfig.RESUMABLE) + " may change on resume");
    }
}
