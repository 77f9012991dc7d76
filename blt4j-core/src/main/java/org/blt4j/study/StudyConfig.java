package org.blt4j.study;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.blt4j.Blt4jException;
import org.blt4j.eval.noise.NoiseWhere;
import org.blt4j.io.Json;

/**
 * A study: arms trained on one corpus at several model sizes, each to a training-FLOP budget (YAML or JSON):
 * <pre>
 * name: sotu
 * data: {path, heldout_fraction, max_bytes}  # the corpus (its first max_bytes, whole documents, when given);
 *                                           # the last fraction of its bytes is held out
 * out: runs/study/sotu                    # run folders, checkpoints, state (resumable)
 * report: docs/study                      # report.md, plots, metrics (default: OUT/report)
 * seed: 42
 * arms: [bpe, bytes, blt-space, blt-static, blt-entropy-4.5, blt-entropy-8]
 * reference: blt-entropy-4.5              # the arm every other arm of a size is FLOP-matched to
 * bpe_vocab: 4096                         # the bpe arm's tokenizer: a BPE trained on the training split
 * budgets: [0.25, 0.5, 1.0]               # fractions of budget_flops at which a decayed (WSD) branch is evaluated
 * decay_fraction: 0.2                     # WSD: the last fraction of a branch's steps decays the LR to lr_min_ratio
 * eval_bytes: 262144                      # held-out bytes scored at each budget (the same first bytes for every arm)
 * entropy_model: {args, steps, batch_size, seq_len, lr, warmup}   # trained first; or {path: DIR} to reuse one
 * noise: {items: 500, where: [both], sizes: [large], seed: 1}    # robustness; sizes default: the last size
 * sizes:
 *   - name: small
 *     budget_flops: 2.0e13               # training FLOPs of each arm (3 × forward FLOPs per byte × bytes)
 *     seq_len: 384                        # bytes per row (token LM: the tokens that hold as many bytes)
 *     batch_size: 8
 *     optim: {lr, warmup, ...}            # AdamW as in a training config; the schedule is WSD
 *     blt: {...}                          # the reference BLT's model.args (its patching is set per arm)
 *     lm: {n_layers, n_heads, ...}        # the bytes and bpe arms' transformer; dim is sized to match the FLOPs
 * </pre>
 * Every key is used: an unknown one is refused.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record StudyConfig(String name, Data data, String out, String report, Long seed, List<String> arms,
                          String reference, Integer bpeVocab, List<Double> budgets, Double decayFraction,
                          Integer evalBytes, EntropyModelSpec entropyModel, NoiseSpec noise, List<Size> sizes) {

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Data(String path, Double heldoutFraction, Long maxBytes) {
        public Data {
            if (maxBytes != null && maxBytes < 1) throw new Blt4jException("study config: data.max_bytes must be >= 1, got " + maxBytes);
            if (path == null) throw new Blt4jException("study config: data.path is missing (a .txt, .gz or .jsonl file)");
            if (heldoutFraction == null) heldoutFraction = 0.1;
            if (!(heldoutFraction > 0 && heldoutFraction < 1))
                throw new Blt4jException("study config: data.heldout_fraction must be in (0, 1), got " + heldoutFraction);
        }
    }

    /** The entropy model that patches the BLT arms: trained by the study, or an existing one (path). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record EntropyModelSpec(String path, JsonNode args, Integer steps, Integer batchSize, Integer seqLen, Double lr,
                                   Integer warmup) {
        public EntropyModelSpec {
            if (path == null && (args == null || !args.isObject()))
                throw new Blt4jException("study config: entropy_model needs args (to train one) or path (an existing one)");
            if (path != null && args != null)
                throw new Blt4jException("study config: entropy_model has both path and args: give one");
            if (steps == null) steps = 500;
            if (batchSize == null) batchSize = 8;
            if (seqLen == null) seqLen = 256;
            if (lr == null) lr = 3e-3;
            if (warmup == null) warmup = 20;
            if (steps < 1) throw new Blt4jException("study config: entropy_model.steps must be >= 1, got " + steps);
            if (batchSize < 1 || seqLen < 2) throw new Blt4jException("study config: entropy_model.batch_size >= 1 and seq_len >= 2");
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record NoiseSpec(Integer items, List<String> where, List<String> sizes, Long seed) {
        public NoiseSpec {
            if (items == null) items = 500;
            if (where == null) where = List.of("both");
            if (seed == null) seed = 1L;
            if (items < 1) throw new Blt4jException("study config: noise.items must be >= 1, got " + items);
            for (String w : where) NoiseWhere.parse(w);
        }

        public List<NoiseWhere> wheres() {
            return where.stream().map(NoiseWhere::parse).toList();
        }
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Size(String name, Double budgetFlops, Integer seqLen, Integer batchSize, JsonNode optim, JsonNode blt,
                       JsonNode lm) {
        public Size {
            if (name == null || !name.matches("[A-Za-z0-9_.-]+"))
                throw new Blt4jException("study config: every size needs a name of letters, digits, '.', '_' or '-', got " + name);
            if (budgetFlops == null || !(budgetFlops > 0) || budgetFlops.isInfinite())
                throw new Blt4jException("study config: size " + name + ": budget_flops must be a positive number, got " + budgetFlops);
            if (seqLen == null) seqLen = 256;
            if (batchSize == null) batchSize = 8;
            if (seqLen < 16) throw new Blt4jException("study config: size " + name + ": seq_len must be >= 16, got " + seqLen);
            if (batchSize < 1) throw new Blt4jException("study config: size " + name + ": batch_size must be >= 1, got " + batchSize);
            if (blt == null || !blt.isObject())
                throw new Blt4jException("study config: size " + name + ": blt (the reference BLT's model args) is missing");
            if (lm == null || !lm.isObject())
                throw new Blt4jException("study config: size " + name + ": lm (the bytes and bpe arms' n_layers, n_heads, ...) is missing");
            if (lm.has("dim")) throw new Blt4jException("study config: size " + name + ": lm.dim is sized by the study to match the FLOPs; remove it");
            if (optim != null && !optim.isObject()) throw new Blt4jException("study config: size " + name + ": optim must be a mapping");
            if (optim != null && (optim.has("schedule") || optim.has("decay_fraction")))
                throw new Blt4jException("study config: size " + name + ": the study's schedule is WSD (decay_fraction at the top level); remove optim.schedule/decay_fraction");
        }
    }

    public StudyConfig {
        if (name == null || !name.matches("[A-Za-z0-9_.-]+"))
            throw new Blt4jException("study config: name must be letters, digits, '.', '_' or '-', got " + name);
        if (data == null) throw new Blt4jException("study config: the data section is missing (data.path at least)");
        if (out == null) out = "runs/study/" + name;
        if (seed == null) seed = 42L;
        if (arms == null || arms.isEmpty()) throw new Blt4jException("study config: arms is missing; valid arms: " + Arm.VALID);
        if (reference == null) reference = "blt-entropy-4.5";
        if (bpeVocab == null) bpeVocab = 4096;
        if (budgets == null) budgets = List.of(0.25, 0.5, 1.0);
        if (decayFraction == null) decayFraction = 0.2;
        if (evalBytes == null) evalBytes = 1 << 18;
        if (noise == null) noise = new NoiseSpec(null, null, null, null);
        if (entropyModel == null)
            throw new Blt4jException("study config: entropy_model is missing (args to train one, or path)");
        if (sizes == null || sizes.isEmpty()) throw new Blt4jException("study config: sizes is missing (one at least)");
        Set<String> armNames = new HashSet<>();
        for (String a : arms) if (!armNames.add(Arm.parse(a).name())) throw new Blt4jException("study config: arm " + a + " is listed twice");
        Arm ref = Arm.parse(reference);
        if (ref.type() != Arm.Type.BLT_ENTROPY || !armNames.contains(ref.name()))
            throw new Blt4jException("study config: reference '" + reference + "' must be one of the arms and an entropy-patched BLT (blt-entropy-P)");
        if (bpeVocab < 256 || bpeVocab > 1 << 20) throw new Blt4jException("study config: bpe_vocab must be in [256, 1048576] (the 256 bytes at least), got " + bpeVocab);
        double prev = 0;
        for (Double b : budgets) {
            if (b == null || !(b > prev && b <= 1))
                throw new Blt4jException("study config: budgets must be increasing fractions in (0, 1], got " + budgets);
            prev = b;
        }
        if (budgets.get(budgets.size() - 1) != 1.0)
            throw new Blt4jException("study config: the last of budgets must be 1.0 (the whole budget_flops), got " + budgets);
        if (!(decayFraction > 0 && decayFraction < 1))
            throw new Blt4jException("study config: decay_fraction must be in (0, 1), got " + decayFraction);
        if (evalBytes < 1) throw new Blt4jException("study config: eval_bytes must be >= 1, got " + evalBytes);
        Set<String> sizeNames = new HashSet<>();
        for (Size s : sizes) if (!sizeNames.add(s.name())) throw new Blt4jException("study config: size " + s.name() + " is listed twice");
        if (noise.sizes() == null) noise = new NoiseSpec(noise.items(), noise.where(), List.of(sizes.get(sizes.size() - 1).name()), noise.seed());
        for (String s : noise.sizes())
            if (!sizeNames.contains(s)) throw new Blt4jException("study config: noise.sizes names '" + s + "', which is not a size (" + sizeNames + ")");
    }

    public List<Arm> armList() {
        List<Arm> out = new ArrayList<>();
        for (String a : arms) out.add(Arm.parse(a));
        return out;
    }

    public Arm referenceArm() {
        return Arm.parse(reference);
    }

    /** The report folder: report, else OUT/report. */
    public Path reportDir() {
        return report != null ? Path.of(report) : Path.of(out).resolve("report");
    }

    /** This config with data.path (and, unless given, out) for another corpus. */
    public StudyConfig withData(Path file, Path outDir, Path reportDir) {
        String o = outDir != null ? outDir.toString() : out;
        String r = reportDir != null ? reportDir.toString() : (outDir != null ? null : report);
        return new StudyConfig(name, new Data(file != null ? file.toString() : data.path(), data.heldoutFraction(), data.maxBytes()), o, r, seed,
                arms, reference, bpeVocab, budgets, decayFraction, evalBytes, entropyModel, noise, sizes);
    }

    public ObjectNode toTree() {
        return Json.MAPPER.valueToTree(this);
    }

    public static StudyConfig load(Path file) {
        if (!Files.isRegularFile(file)) throw new Blt4jException("study config " + file + ": no such file");
        JsonNode tree;
        try {
            tree = (file.getFileName().toString().endsWith(".json") ? Json.MAPPER : Json.YAML).readTree(file.toFile());
        } catch (JsonProcessingException e) {
            throw new Blt4jException("study config " + file + " does not parse: " + e.getOriginalMessage()
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        } catch (IOException e) {
            throw new Blt4jException("study config " + file + ": cannot read (" + e.getMessage() + ")");
        }
        if (tree == null || !tree.isObject()) throw new Blt4jException("study config " + file + ": expected a mapping at the top level");
        return fromTree(tree, file.toString());
    }

    public static StudyConfig fromTree(JsonNode tree, String where) {
        try {
            return Json.MAPPER.treeToValue(tree, StudyConfig.class);
        } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
            throw e.getCause() instanceof Blt4jException b ? b : new Blt4jException("study config " + where + ": " + e.getOriginalMessage());
        } catch (com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException e) {
            throw new Blt4jException("study config " + where + ": unknown key '" + e.getPropertyName() + "' (known: " + e.getKnownPropertyIds() + ")");
        } catch (JsonProcessingException e) {
            throw new Blt4jException("study config " + where + ": " + e.getOriginalMessage());
        }
    }
}
