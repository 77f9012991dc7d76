package org.blt4j.study;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The report's robustness table and its reading of the paper's three claims, from the numbers alone:
 * <ol>
 *   <li>at matched training FLOPs, the entropy-patched BLT (the reference arm) matches or beats the BPE-token LM in
 *       bits per byte (held: BLT ≤ BPE; matched: within 1%);</li>
 *   <li>at a fixed inference budget, larger patches with a larger latent transformer scale better: the gap
 *       bpb(largest-patch entropy arm) − bpb(reference) shrinks (or turns negative) from the smallest to the largest size;</li>
 *   <li>bytes are more robust to noised input: the BLT's accuracy drops less under noise than the BPE LM's.</li>
 * </ol>
 */
final class StudyClaims {
    private final StudyConfig cfg;
    private final List<ArmPlan> plans;
    private final Map<String, List<ArmRunner.Point>> points;
    private final List<StudyNoise.Row> noise;

    StudyClaims(StudyConfig cfg, List<ArmPlan> plans, Map<String, List<ArmRunner.Point>> points, List<StudyNoise.Row> noise) {
        this.cfg = cfg;
        this.plans = plans;
        this.points = points;
        this.noise = noise;
    }

    /** Mean accuracy of a row's noised conditions (every condition but the first, "clean"). */
    static double meanNoised(StudyNoise.Row r) {
        double s = 0;
        for (int i = 1; i < r.conditions().size(); i++) s += r.accuracy(i);
        return s / Math.max(1, r.conditions().size() - 1);
    }

    /** Mean increase of the true next sentence's bits per byte under the noises over clean. */
    static double bpbIncrease(StudyNoise.Row r) {
        double s = 0;
        for (int i = 1; i < r.conditions().size(); i++) s += r.trueBpb().get(i) - r.trueBpb().get(0);
        return s / Math.max(1, r.conditions().size() - 1);
    }

    static String robustnessSection(StudyConfig cfg, List<StudyNoise.Row> noise) {
        StringBuilder md = new StringBuilder("## Robustness to noised input\n\n");
        if (noise.isEmpty()) return md.append("Not evaluated.\n\n").toString();
        int n = noise.get(0).items();
        md.append(String.format(Locale.ROOT, "HellaSwag-like four-way choice built from the held-out text: %d items (seed %d), a context"
                + " of up to 256 bytes ending at a sentence end, the true next sentence and three of similar length from elsewhere;"
                + " the pick is the candidate with the highest log-likelihood per byte. Chance is 0.25; one standard error at"
                + " accuracy 0.5 is %.3f. Noise applied to %s.%n%n", n, cfg.noise().seed(), Math.sqrt(0.25 / n),
                String.join(", ", cfg.noise().where())));
        List<String> conds = noise.get(0).conditions();
        md.append("| size | arm |");
        for (String c : conds) md.append(' ').append(c).append(" |");
        md.append(" mean noised | noised − clean |\n|---|---|").append("---|".repeat(conds.size() + 2)).append('\n');
        for (StudyNoise.Row r : noise) {
            md.append("| ").append(r.size()).append(" | ").append(r.arm()).append(" |");
            for (int i = 0; i < r.conditions().size(); i++) md.append(String.format(Locale.ROOT, " %.3f |", r.accuracy(i)));
            double m = meanNoised(r);
            md.append(String.format(Locale.ROOT, " %.3f | %+.3f |%n", m, m - r.accuracy(0)));
        }
        md.append("\nBits per byte of the true next sentence given the context (as scored: noised where the condition says);"
                + " unlike the accuracy it is not bounded by chance, so it shows how much each model is hurt by the noise even"
                + " where it cannot yet pick the right sentence:\n\n| size | arm |");
        for (String c : conds) md.append(' ').append(c).append(" |");
        md.append(" mean increase |\n|---|---|").append("---|".repeat(conds.size() + 1)).append('\n');
        for (StudyNoise.Row r : noise) {
            md.append("| ").append(r.size()).append(" | ").append(r.arm()).append(" |");
            for (double b : r.trueBpb()) md.append(String.format(Locale.ROOT, " %.3f |", b));
            md.append(String.format(Locale.ROOT, " %+.3f |%n", bpbIncrease(r)));
        }
        return md.append('\n').toString();
    }

    String section() {
        StringBuilder md = new StringBuilder("## The paper's claims at this scale\n\n");
        md.append("Read from the numbers above by the study itself; differences smaller than the noise of one held-out"
                + " evaluation are called matched, not won.\n\n");
        md.append("1. **BLT matches or beats BPE at matched training FLOPs.** ").append(claim1()).append("\n");
        md.append("2. **Larger patches with a larger latent model scale better at a fixed inference budget.** ").append(claim2()).append("\n");
        md.append("3. **Bytes are more robust to noised input.** ").append(claim3()).append("\n\n");
        return md.toString();
    }

    private Double finalBpb(String size, String arm) {
        List<ArmRunner.Point> pts = points.get(size + "/" + arm);
        return pts == null || pts.size() < cfg.budgets().size() ? null : pts.get(pts.size() - 1).heldOutBpb();
    }

    private String claim1() {
        String ref = cfg.reference();
        List<String> parts = new ArrayList<>();
        int held = 0, matched = 0, lost = 0;
        for (StudyConfig.Size s : cfg.sizes()) {
            Double b = finalBpb(s.name(), ref), t = finalBpb(s.name(), "bpe");
            if (b == null || t == null) continue;
            double rel = b / t - 1;
            parts.add(String.format(Locale.ROOT, "%s: %s %.4f vs bpe %.4f bpb (%+.1f%%)", s.name(), ref, b, t, 100 * rel));
            if (rel <= -0.01) held++;
            else if (rel <= 0.01) matched++;
            else lost++;
        }
        if (parts.isEmpty()) return "Not tested (needs the arms " + ref + " and bpe, trained to the whole budget).";
        String verdict = lost == 0 ? (held > 0 ? "**Held**" : "**Held (matched within 1%)**")
                : held + matched == 0 ? "**Did not hold**" : "**Held at some sizes only**";
        return verdict + ": " + String.join("; ", parts) + ".";
    }

    private String claim2() {
        Arm big = null;
        for (Arm a : cfg.armList())
            if (a.type() == Arm.Type.BLT_ENTROPY && a.patchSize() > cfg.referenceArm().patchSize() && (big == null || a.patchSize() > big.patchSize())) big = a;
        if (big == null || cfg.sizes().size() < 2)
            return "Not tested (needs an entropy arm with larger patches than " + cfg.reference() + " and two sizes).";
        List<String> parts = new ArrayList<>();
        Double first = null, lastGap = null;
        for (StudyConfig.Size s : cfg.sizes()) {
            Double b = finalBpb(s.name(), big.name()), r = finalBpb(s.name(), cfg.reference());
            if (b == null || r == null) continue;
            double gap = b - r;
            if (first == null) first = gap;
            lastGap = gap;
            parts.add(String.format(Locale.ROOT, "%s: %s %.4f vs %s %.4f (gap %+.4f)", s.name(), big.name(), b, cfg.reference(), r, gap));
        }
        if (parts.size() < 2) return "Not tested (the arms did not finish at two sizes).";
        String trend = lastGap < first - 0.005 ? "the larger-patch arm gained on the reference as the models grew"
                : lastGap > first + 0.005 ? "the larger-patch arm lost ground as the models grew" : "the gap stayed the same across sizes";
        String verdict = lastGap < -0.005 ? "**Held at the largest size**"
                : lastGap <= 0.005 ? "**Matched at the largest size**"
                : lastGap < first - 0.005 ? "**Not yet: behind at the largest size, but closing**" : "**Did not hold**";
        return verdict + " (at equal inference FLOPs per byte; " + trend + "): " + String.join("; ", parts) + ".";
    }

    private String claim3() {
        List<String> parts = new ArrayList<>();
        int held = 0, tested = 0;
        boolean nearChance = false;
        for (String size : cfg.noise().sizes()) {
            StudyNoise.Row blt = row(size, cfg.reference()), bpe = row(size, "bpe");
            if (blt == null || bpe == null) continue;
            tested++;
            for (StudyNoise.Row r : List.of(blt, bpe))
                nearChance |= r.accuracy(0) - 0.25 < 2 * Math.sqrt(0.25 * 0.75 / r.items());
            double dB = meanNoised(blt) - blt.accuracy(0), dT = meanNoised(bpe) - bpe.accuracy(0);
            parts.add(String.format(Locale.ROOT, "%s: accuracy %s clean %.3f, noised %.3f (change %+.3f), bpe clean %.3f, noised"
                    + " %.3f (change %+.3f); bits per byte of the true sentence up under noise by %+.3f for %s and %+.3f for bpe",
                    size, cfg.reference(), blt.accuracy(0), meanNoised(blt), dB, bpe.accuracy(0), meanNoised(bpe), dT,
                    bpbIncrease(blt), cfg.reference(), bpbIncrease(bpe)));
            boolean accuracyHeld = meanNoised(blt) > meanNoised(bpe) && dB >= dT;
            boolean likelihoodHeld = bpbIncrease(blt) < bpbIncrease(bpe);
            if (nearChance ? likelihoodHeld : accuracyHeld && likelihoodHeld) held++;
        }
        if (tested == 0) return "Not tested (needs the noise evaluation of " + cfg.reference() + " and bpe).";
        int n = noise.get(0).items();
        double se = Math.sqrt(0.25 / n);     // one standard error of an accuracy near 0.5 over n items (at most)
        String caveat = String.format(Locale.ROOT, " One standard error of an accuracy is at most %.3f at %d items, of a"
                + " difference between two arms about %.3f: smaller differences are noise.", se, n, Math.sqrt(2) * se);
        if (nearChance) caveat += " Clean accuracy is within two standard errors of chance (0.25) for an arm: at this"
                + " scale the models barely tell the true next sentence from a random one, so the test says little.";
        return (held == tested ? "**Held**" : held == 0 ? "**Did not hold**" : "**Held at some sizes only**")
                + (nearChance ? " (read on the likelihood, the accuracy being near chance: the BLT's bits per byte must rise less under noise than the BPE LM's): "
                        : " (the BLT must be more accurate under noise, lose no more accuracy and no more bits per byte than the BPE LM): ")
                + String.join("; ", parts) + "." + caveat;
    }

    private StudyNoise.Row row(String size, String arm) {
        for (StudyNoise.Row r : noise) if (r.size().equals(size) && r.arm().equals(arm)) return r;
        return null;
    }
}
