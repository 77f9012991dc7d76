package org.blt4j.train.diloco;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.data.DataSplit;
import org.blt4j.data.EntropyCache;
import org.blt4j.data.TokenStream;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.tensor.Parallel;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.TrainTask;
import org.blt4j.train.Training;

/**
 * The training task of one DiLoCo worker: the config's training documents after the train/held-out split
 * ({@link Training#split}), document i to worker i mod N, built as {@link Training} builds the plain task (same model
 * init, batch size, sequence length and shuffle seed). With N = 1 the shard is the whole training split, so the task is
 * plain training's. The driver's task (worker 0 of 1) evaluates and checkpoints the global parameters.
 */
public final class ShardTasks {
    private ShardTasks() {}

    /**
     * What a config trains: "token" when it names model.tokenizer, "blt" when it names data.entropy_model, else
     * "entropy" (the byte-level entropy model).
     */
    public static String kindOf(TrainConfig cfg) {
        if (cfg.model().tokenizer() != null) return "token";
        return cfg.data().entropyModel() != null ? "blt" : "entropy";
    }

    /** Worker {@code worker}'s task of {@code workers}. */
    public static TrainTask build(TrainConfig cfg, int worker, int workers, Consumer<String> log) {
        return build(cfg, textSplit(cfg), worker, workers, log);
    }

    /** The train and held-out documents DiLoCo shards: those of a text corpus (a patched dataset is refused). */
    static DataSplit textSplit(TrainConfig cfg) {
        if (org.blt4j.data.PatchedData.isDataset(java.nio.file.Path.of(cfg.data().path())))
            throw new Blt4jException("DiLoCo reads a text corpus (.txt, .gz, .jsonl), not the patched dataset " + cfg.data().path()
                    + "; train from a patched dataset in one process with ./blt4j train --data DATASET, or give DiLoCo the text and data.entropy_model");
        return Training.split(cfg);
    }

    /** Refuses more workers than training documents: worker i takes documents i, i + workers, ... */
    static void requireDocuments(DataSplit split, int workers, TrainConfig cfg) {
        int n = split.train().size();
        if (workers > n)
            throw new Blt4jException("DiLoCo: " + workers + " workers, but the training split of " + cfg.data().path() + " has " + n
                    + " documents: worker " + n + " would get no document; use --workers " + n + " or fewer");
    }

    /** Worker {@code worker}'s task of {@code workers}, on the documents of {@link #textSplit}. */
    static TrainTask build(TrainConfig cfg, DataSplit split, int worker, int workers, Consumer<String> log) {
        if (worker < 0 || worker >= workers) throw new Blt4jException("DiLoCo: worker " + worker + " is not in 0.." + (workers - 1));
        requireDocuments(split, workers, cfg);
        List<Integer> docs = new ArrayList<>();
        for (int i = worker; i < split.train().size(); i += workers) docs.add(i);
        List<byte[]> shard = new ArrayList<>(docs.size());
        for (int i : docs) shard.add(split.train().get(i));
        DataSplit shardSplit = new DataSplit(shard, split.heldOut());
        return switch (kindOf(cfg)) {
            case "entropy" -> Training.entropyTask(cfg, Training.streams(shardSplit));
            case "token" -> {
                if (workers > 1 && cfg.model().tokenizer().has("train"))
                    throw new Blt4jException("DiLoCo: model.tokenizer {train: VOCAB} would train a different BPE on each worker's"
                            + " shard: train it once with bpe-train and name the ranks file");
                yield Training.tokenTask(cfg, shardSplit);
            }
            default -> bltTask(cfg, split, shardSplit, docs, log);
        };
    }

    /**
     * The BLT on a shard: the entropies of the whole training stream (EntropyCache: the file plain training uses) cut
     * to the shard's documents, and an auto threshold resolved on the whole stream, so every worker patches alike.
     */
    private static TrainTask bltTask(TrainConfig cfg, DataSplit split, DataSplit shardSplit, List<Integer> docs, Consumer<String> log) {
        if (cfg.data().entropyModel() == null) throw new Blt4jException("config: data.entropy_model is missing");
        Training.Streams all = Training.streams(split);
        EntropyModel em = ModelLoader.patcherModel(ModelDirs.resolveModel(Path.of(cfg.data().entropyModel())));
        Path dataFile = Path.of(cfg.data().path());
        ChunkedEntropies.Chunking chunking = ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize());
        float[] trainH = EntropyCache.entropies(em, all.train(), dataFile, null, chunking, ChunkedEntropies.Progress.NONE, log).entropies();
        float[] heldH = EntropyCache.entropies(em, all.heldOut(), dataFile, null, chunking, ChunkedEntropies.Progress.NONE, log).entropies();
        TrainConfig resolved = cfg;
        ObjectNode args = (ObjectNode) cfg.model().args();
        if ("auto".equals(args.path("patching_threshold").asText())) {
            double t = Training.autoThreshold(trainH, args.path("patch_size").asDouble(4.5));
            ObjectNode tree = cfg.toTree();
            ((ObjectNode) tree.path("model").path("args")).put("patching_threshold", t);
            resolved = TrainConfig.fromTree(tree, List.of(), "DiLoCo config");
        }
        // document i occupies ids [off_i, off_i + len_i + 2) of the whole stream (BOS + bytes + EOS)
        long[] off = new long[split.train().size() + 1];
        for (int i = 0; i < split.train().size(); i++) off[i + 1] = off[i] + split.train().get(i).length + 2L;
        int[] ids = TokenStream.encode(shardSplit.train());
        float[] h = new float[ids.length];
        int k = 0;
        for (int i : docs) {
            int n = (int) (off[i + 1] - off[i]);
            System.arraycopy(trainH, (int) off[i], h, k, n);
            k += n;
        }
        Training.Streams shard = new Training.Streams(ids, all.heldOut(), shardSplit.trainBytes(), all.heldOutBytes(), all.heldOutDocs());
        return Training.bltTask(resolved, shard, h, heldH, log);
    }
}
