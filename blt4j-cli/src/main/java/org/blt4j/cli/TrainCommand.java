package org.blt4j.cli;

import org.blt4j.io.ModelDirs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.blt4j.Blt4jException;
import org.blt4j.data.DataSplit;
import org.blt4j.data.Gzip;
import org.blt4j.data.PatchedData;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.train.TrainConfig;
import org.blt4j.run.TrainState;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Trainer;
import org.blt4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j train-entropy / blt4j train / blt4j train-token: train a model from a config file. */
abstract class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "training config, YAML or JSON (see configs/)")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "override a config value, e.g. --set optim.lr=1e-3 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--steps", description = "override train.steps")
    Integer steps;

    @Option(names = "--minutes", description = "override train.minutes (stop after this much time)")
    Double minutes;

    @Option(names = "--out", paramLabel = "DIR", description = "override train.out (the run folder)")
    Path out;

    @Option(names = "--data", paramLabel = "FILE", description = "override data.path")
    Path data;

    @Option(names = "--resume", paramLabel = "DIR", description = "continue exactly from a run or step folder")
    Path resume;

    abstract String kind();

    @Override
    public Integer call() {
        TrainConfig cfg = loadConfig();
        Path runDir = Path.of(cfg.train().out());
        Path dataPath = Path.of(cfg.data().path());
        PatchedData.Split patched = null;
        DataSplit split;
        if (PatchedData.isDataset(dataPath)) {
            if (!kind().equals("blt"))
                throw new Blt4jException("data " + dataPath + " is a patched dataset, which trains the BLT (./blt4j train); "
                        + "train-" + kind() + " reads text, .gz or .jsonl");
            patched = PatchedData.read(dataPath).split(cfg.data().heldoutFraction());
            split = patched.docs();
            System.out.println("data: patched dataset, entropies read from it (not recomputed); held-out split at a document boundary");
        } else {
            split = Training.split(cfg);
        }
        System.out.printf("data %s: %,d train bytes, %,d held-out bytes (last %.0f%%)%n", cfg.data().path(),
                split.trainBytes(), split.heldOutBytes(), 100 * cfg.data().heldoutFraction());
        List<byte[]> heldOutDocs = split.heldOut();
        TrainTask task = patched != null ? Training.bltTask(cfg, patched, System.out::println) : task(cfg, split);
        patched = null;
        split = null;                       // the training documents are encoded in the task; let them go
        System.out.printf("%s model: %,d parameters; run folder %s%n", task.kind(), task.params().size(), runDir);
        double gzip = Gzip.bitsPerByte(concat(heldOutDocs));
        Trainer.Result r = new Trainer(task, cfg, runDir, System.out).reference(gzip, String.format("gzip -9 %.3f", gzip)).run(resume);
        System.out.printf("done: %d steps, %.0f bytes/s; held-out %.4f bpb (gzip -9: %.4f)%s%n", r.steps(), r.bytesPerSecond(),
                r.heldOutBpb(), gzip, Double.isNaN(r.avgPatchLength()) ? "" : String.format(", %.2f bytes/patch", r.avgPatchLength()));
        System.out.println("checkpoint " + r.lastCheckpoint() + "; metrics " + runDir.resolve("metrics.jsonl") + "; plot " + runDir.resolve("bpb.svg"));
        return 0;
    }

    private TrainTask task(TrainConfig cfg, DataSplit split) {
        return switch (kind()) {
            case "blt" -> Training.bltTask(cfg, Training.streams(split), System.out::println);
            case "token" -> Training.tokenTask(cfg, split);
            default -> Training.entropyTask(cfg, Training.streams(split));
        };
    }

    /**
     * The config of this run. Without --resume: --config with the overrides. With --resume RUN: the run trains into
     * RUN (its own folder, whatever train.out says), from RUN's saved config, or from --config when given; either way
     * the overrides may change only {@link TrainConfig#RESUMABLE} keys (steps, minutes, logging and checkpointing),
     * anything else is refused, naming the keys.
     */
    TrainConfig loadConfig() {
        List<String> o = new ArrayList<>(overrides);
        if (steps != null) o.add("train.steps=" + steps);
        if (minutes != null) o.add("train.minutes=" + minutes);
        if (data != null) o.add("data.path=" + data);
        if (resume == null) {
            if (out != null) o.add("train.out=" + out);
            if (config == null) throw new Blt4jException("give --config FILE (or --resume DIR to continue a run)");
            return TrainConfig.load(config, o);
        }
        Path run = runDirOf(resume);
        if (out != null && !out.toAbsolutePath().normalize().equals(run))
            throw new Blt4jException("--resume trains into the resumed run's folder " + run + ": drop --out " + out
                    + " (or copy the run there and resume the copy)");
        String where = ModelDirs.resolve(resume).resolve(TrainCheckpoint.STATE).toString();
        TrainState st = TrainCheckpoint.readState(ModelDirs.resolve(resume));
        TrainConfig saved = TrainConfig.fromTree((ObjectNode) st.trainConfig(), List.of(), where);
        TrainConfig cfg = config != null ? TrainConfig.load(config, o) : TrainConfig.fromTree((ObjectNode) st.trainConfig(), o, where);
        List<String> changed = cfg.changedFrom(saved);
        if (!changed.isEmpty())
            throw new Blt4jException("--resume " + resume + ": the config asked for (" + (config != null ? "--config " + config
                    + ", the overrides" : "the overrides") + ") differs from the run's saved config (" + where + ") in "
                    + String.join(", ", changed)
                    + "; only " + new java.util.TreeSet<>(TrainConfig.RESUMABLE) + " may change on resume");
        return cfg.inRun(run);
    }

    private static Path runDirOf(Path resume) {
        Path p = resume.toAbsolutePath().normalize();
        return Files.exists(p.resolve(TrainCheckpoint.LATEST)) ? p : p.getParent();
    }

    static byte[] concat(List<byte[]> docs) {
        int n = 0;
        for (byte[] d : docs) n += d.length;
        byte[] all = new byte[n];
        int o = 0;
        for (byte[] d : docs) {
            System.arraycopy(d, 0, all, o, d.length);
            o += d.length;
        }
        return all;
    }

    @Command(name = "train-entropy", mixinStandardHelpOptions = true,
            description = "Train the byte-level entropy model (writes checkpoints, metrics.jsonl and bpb.svg to the run folder).")
    static final class Entropy extends TrainCommand {
        @Override String kind() { return "entropy"; }
    }

    @Command(name = "train", mixinStandardHelpOptions = true,
            description = "Train a BLT patched by a trained entropy model (data.entropy_model).")
    static final class Blt extends TrainCommand {
        @Override String kind() { return "blt"; }
    }

    @Command(name = "train-token", mixinStandardHelpOptions = true,
            description = "Train the token-level baseline LM (the entropy model's transformer over model.tokenizer's BPE ids).")
    static final class Token extends TrainCommand {
        @Override String kind() { return "token"; }
    }
}
