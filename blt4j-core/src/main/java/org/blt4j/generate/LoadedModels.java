package org.blt4j.generate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.io.ModelDirs;
import org.blt4j.Blt4jException;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.HfLayout;
import org.blt4j.model.ModelLoader;
import org.blt4j.patch.PatcherArgs;
import org.blt4j.run.TrainCheckpoint;
import org.blt4j.patch.PatchingMode;

/**
 * A BLT, its entropy model and the patching it generates with: what the generate command and the server load once.
 * The models are only read by forward passes, so one instance serves any number of threads.
 *
 * @param name        a short display name (the model folder's name; never a full path)
 * @param patcherArgs the BLT config's patching, with the threshold overridden when asked
 */
public record LoadedModels(String name, ByteLatentTransformer blt, EntropyModel entropyModel, PatcherArgs patcherArgs)
        implements AutoCloseable {

    /**
     * The entropy model of the BLT at {@code model} when none is named: the BLT folder itself when it is a Hugging Face
     * folder that stores its patcher, else the entropy model its training run recorded ({@link #recordedEntropyModel}),
     * else the first of {@link #entropyCandidates} that is a folder.
     *
     * @throws Blt4jException naming the places it looked
     */
    public static Path entropyModelFor(Path model) {
        if (HfLayout.hasPatcher(model)) return model;
        Path recorded = recordedEntropyModel(model);
        if (recorded != null) return recorded;
        List<Path> candidates = entropyCandidates(model);
        for (Path c : candidates)
            if (Files.isDirectory(c)) return c;
        throw new Blt4jException("no entropy model found for " + model + " (it is not a Hugging Face folder with a patcher,"
                + " and none of " + candidates + " exists): name one (--entropy-model DIR, or Blt.load(model, entropyModel))");
    }

    /**
     * The entropy model a BLT training run was patched by (its step's state.json: data.entropy_model), when the model
     * is a run or step folder and that folder still exists; else null.
     */
    static Path recordedEntropyModel(Path model) {
        if (!Files.isRegularFile(model.resolve(ModelDirs.STATE)) && !Files.isRegularFile(model.resolve(ModelDirs.LATEST))) return null;
        try {
            String em = TrainCheckpoint.readState(model).trainConfig().path("data").path("entropy_model").asText("");
            Path p = em.isEmpty() ? null : Path.of(em);
            return p != null && Files.isDirectory(p) ? p : null;
        } catch (RuntimeException e) {   // a damaged run: the loader says what is wrong with it
            return null;
        }
    }

    /**
     * Where {@link #entropyModelFor} looks, in order: {@code model/entropy_model} (the reference trainer's layout),
     * {@code model/entropy}, then the sibling folders {@code entropy_model} and {@code entropy} (the run folders of
     * {@code ./blt4j demo}).
     */
    public static List<Path> entropyCandidates(Path model) {
        Path abs = model.toAbsolutePath().normalize();
        List<Path> c = new ArrayList<>(List.of(abs.resolve("entropy_model"), abs.resolve("entropy")));
        if (abs.getParent() != null) c.addAll(List.of(abs.resolveSibling("entropy_model"), abs.resolveSibling("entropy")));
        return c;
    }

    /**
     * Loads both models (hub checkpoints, step folders or run folders).
     *
     * @param threshold entropy threshold in nats, or null for the BLT config's own
     */
    public static LoadedModels load(Path model, Path entropyModel, Double threshold) {
        Path bltDir = ModelDirs.resolveModel(model);
        ByteLatentTransformer blt = ModelLoader.blt(bltDir, true);
        EntropyModel em;
        try {
            em = ModelLoader.patcherModel(ModelDirs.resolveModel(entropyModel));
        } catch (RuntimeException | Error e) {
            blt.close();                                  // no mapped file left behind by a failed load
            throw e;
        }
        Path leaf = model.toAbsolutePath().normalize().getFileName();
        try {
            LoadedModels m = new LoadedModels(leaf == null ? "blt" : leaf.toString(), blt, em, blt.args().patcherArgs());
            return threshold == null ? m : m.withThreshold(threshold);
        } catch (RuntimeException | Error e) {            // a bad threshold: both mappings released
            blt.close();
            em.close();
            throw e;
        }
    }

    /** Same models, entropy threshold replaced (entropy patching only). */
    public LoadedModels withThreshold(double threshold) {
        return new LoadedModels(name, blt, entropyModel, thresholdArgs(threshold));
    }

    /** This patching with another entropy threshold (entropy patching only). */
    public PatcherArgs thresholdArgs(double threshold) {
        PatcherArgs a = patcherArgs;
        if (a.mode() != PatchingMode.ENTROPY)
            throw new Blt4jException("a threshold needs entropy patching, but the model's config patches with mode "
                    + a.mode().name().toLowerCase(java.util.Locale.ROOT));
        if (!Double.isFinite(threshold)) throw new Blt4jException("the threshold must be a finite number, got " + threshold);
        return new PatcherArgs(a.mode(), threshold, a.thresholdAdd(), a.monotonicity(), a.maxPatchLength(), a.patchSize());
    }

    /** The threshold in use, or null (top-k or a mode without one). */
    public Double threshold() {
        return patcherArgs.mode() == PatchingMode.ENTROPY ? patcherArgs.threshold() : null;
    }

    /** A generator over these models: see {@link Generators#create}. */
    public Generator generator(boolean cached) {
        return Generators.create(blt, entropyModel, patcherArgs.build(), cached);
    }

    /**
     * Throws when a checkpoint file either model reads in place was changed in place since it was loaded: call before
     * each request (a stat per file), so that a model overwritten on disk is named instead of read half-changed or past
     * its new end (a fault, or a SIGBUS that ends the JVM in vectorized kernels).
     */
    public void checkFiles() {
        blt.checkFiles();
        entropyModel.checkFiles();
    }

    /** Unmaps the models' checkpoint files (see {@link ByteLatentTransformer#close}); neither may be used afterwards. */
    @Override
    public void close() {
        try {
            blt.close();
        } finally {
            entropyModel.close();
        }
    }

    /** The model's EOS id. */
    public int eosId() {
        return blt.args().eosId();
    }
}
