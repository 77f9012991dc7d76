package org.blt4j.study;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.data.BltPacker;
import org.blt4j.data.TokenIdStream;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.nn.ParamStore;
import org.blt4j.train.Training;

/**
 * Turns a study config into one {@link ArmPlan} per (size, arm): the reference arm (blt-entropy-P) as the size's blt
 * args say, every other arm re-sized to its forward FLOPs per byte ({@link Sizing}); then each arm's steps, so that
 * every arm of a size trains on budget_flops / (3 · the reference's forward FLOPs per byte) bytes.
 *
 * <p>Without entropies (trainH null: before the entropy model exists) entropy arms are planned at their nominal patch
 * size; that plan only checks the config (sizes feasible, budgets at least a step) before anything is trained.
 */
final class StudyPlanner {
    private StudyPlanner() {}

    /** Rows of a BLT arm hold this share of seq_len bytes on average, so that few rows are cut at seq_len. */
    static final double ROW_FILL = 0.92;

    static List<ArmPlan> plan(StudyConfig cfg, StudyData data, float[] trainH) {
        List<ArmPlan> plans = new ArrayList<>();
        for (StudyConfig.Size size : cfg.sizes()) plans.addAll(planSize(cfg, size, data, trainH));
        return plans;
    }

    private static List<ArmPlan> planSize(StudyConfig cfg, StudyConfig.Size size, StudyData data, float[] trainH) {
        int L = size.seqLen();
        int[] ids = data.streams().train();
        Arm ref = cfg.referenceArm();
        ObjectNode refArgs = entropyArgs(size, L, ref.patchSize(), trainH);
        BltPacker refPatched = patched(refArgs, ids, trainH);
        double refPs = patchSize(refPatched, ids, ref.patchSize());
        double target = Sizing.bltForward(refArgs, L, refPs);
        double budgetBytes = size.budgetFlops() / (org.blt4j.eval.Flops.TRAINING_FACTOR * target);

        List<ArmPlan> out = new ArrayList<>();
        for (Arm arm : cfg.armList()) {
            String what = "size " + size.name() + ", arm " + arm.name();
            ObjectNode args;
            double ps;
            int seqLen = L, maxPatches = 0;
            double bytesPerRow, fwd;
            switch (arm.type()) {
                case BYTES, BPE -> {
                    boolean bpe = arm.type() == Arm.Type.BPE;
                    double bpp = bpe ? data.bytesPerToken() : data.streams().trainBytes() / (double) ids.length;
                    int vocab = bpe ? TokenIdStream.vocabSize(data.tokenizer()) : 260;
                    seqLen = bpe ? Math.max(8, (int) Math.round(L / bpp)) : L;
                    args = Sizing.sizeLm(size.lm(), vocab, seqLen, bpp, target, what);
                    ps = bpp;
                    fwd = Sizing.lmForward(args, seqLen, bpp);
                    bytesPerRow = seqLen * bpp;
                }
                default -> {
                    BltPacker patched;              // the training stream under this arm's patcher, patched once
                    if (arm.name().equals(ref.name())) {
                        args = refArgs.deepCopy();
                        patched = refPatched;
                        ps = refPs;
                    } else if (arm.type() == Arm.Type.BLT_ENTROPY) {
                        args = entropyArgs(size, L, arm.patchSize(), trainH);
                        patched = patched(args, ids, trainH);
                        ps = patchSize(patched, ids, arm.patchSize());
                    } else if (arm.type() == Arm.Type.BLT_SPACE) {
                        args = Sizing.bltArgs(size.blt(), L, "space", null, 4.5);
                        patched = patched(args, ids, null);
                        ps = patchSize(patched, ids, Double.NaN);
                        args.put("patch_size", Math.round(ps * 100) / 100.0);
                    } else {
                        int p = (int) Math.max(1, Math.round(refPs));
                        args = Sizing.bltArgs(size.blt(), L, "static", null, p);
                        patched = patched(args, ids, null);
                        ps = patchSize(patched, ids, Double.NaN);
                    }
                    if (!arm.name().equals(ref.name())) args = Sizing.sizeGlobal(args, L, ps, target, what);
                    fwd = Sizing.bltForward(args, L, ps);
                    maxPatches = Math.max(2, (int) Math.floor(ROW_FILL * L / ps));
                    bytesPerRow = patched == null ? ROW_FILL * L : bytesPerRow(patched, maxPatches, L);
                }
            }
            long steps = Math.round(budgetBytes / (size.batchSize() * bytesPerRow));
            if (steps > Integer.MAX_VALUE / 2)
                throw new Blt4jException(String.format("study config: size %s: budget_flops %.3g gives arm %s %,d steps, more than"
                        + " a run can take; lower budget_flops", size.name(), size.budgetFlops(), arm.name(), steps));
            List<Long> branchSteps = new ArrayList<>(), branchPoints = new ArrayList<>();
            for (double b : cfg.budgets()) {
                long t = Math.round(b * steps);
                if (t < 1)
                    throw new Blt4jException(String.format("study config: size %s: budget_flops %.3g gives arm %s %d steps of"
                            + " %,.0f bytes, so budget %.3g of it is less than one step: raise budget_flops or lower batch_size",
                            size.name(), size.budgetFlops(), arm.name(), steps, size.batchSize() * bytesPerRow, b));
                branchSteps.add(t);
                branchPoints.add(t - (long) Math.floor(t * cfg.decayFraction()));
            }
            long[] params = params(arm.type(), args);
            out.add(new ArmPlan(size.name(), arm.name(), arm.type(), args, seqLen, maxPatches, ps, fwd, fwd / target,
                    params[0], params[1], bytesPerRow, size.batchSize(), steps, branchSteps, branchPoints));
        }
        return out;
    }

    /** An entropy arm's args: the threshold at which about one byte in P starts a patch on the training data. */
    private static ObjectNode entropyArgs(StudyConfig.Size size, int L, double p, float[] trainH) {
        Double threshold = trainH == null ? null : Training.autoThreshold(trainH, p);
        return Sizing.bltArgs(size.blt(), L, "entropy", threshold, p);
    }

    /** The training stream patched by the args' patcher; null when its entropies are not known yet. */
    private static BltPacker patched(ObjectNode args, int[] ids, float[] trainH) {
        BltArgs a = Training.bind(args, BltArgs.class);
        if (a.patcherArgs().build().needsEntropies() && trainH == null) return null;
        return new BltPacker(ids, trainH, a.patcherArgs(), new BltPacker.Config(1, 2, null, false, null));
    }

    /** Mean ids per patch of the patched training stream (nominal when it is not patched yet). */
    private static double patchSize(BltPacker patched, int[] ids, double nominal) {
        return patched == null ? nominal : ids.length / (double) patched.patchCount();
    }

    /** Mean ids of a training row of maxPatches patches cut at L (every row of the epoch, or 4096 spread over it). */
    private static double bytesPerRow(BltPacker patched, int maxPatches, int L) {
        BltPacker p = patched.withConfig(new BltPacker.Config(1, maxPatches, L, false, null));
        long rows = p.rowsPerEpoch(), n = Math.min(rows, 4096), sum = 0;
        for (long i = 0; i < n; i++) sum += p.row(i * rows / n).x().length;
        return sum / (double) n;
    }

    /** {parameters without hash tables, hash-table parameters}. */
    private static long[] params(Arm.Type type, ObjectNode args) {
        if (!type.isBlt()) return new long[] {ParamStore.numel(EntropyModel.specs(Training.bind(args, LmArgs.class))), 0};
        BltArgs a = Training.bind(args, BltArgs.class);
        return new long[] {ParamStore.numel(ByteLatentTransformer.specs(a)), ParamStore.numel(ByteLatentTransformer.hashTableSpecs(a))};
    }
}
