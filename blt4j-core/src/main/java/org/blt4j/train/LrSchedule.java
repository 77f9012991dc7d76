package org.blt4j.train;

import java.util.Arrays;
import java.util.Locale;
import org.blt4j.Blt4jException;

/**
 * Learning-rate schedules of the reference (bytelatent/optim.py): {@code lr(step) = lr · factor(step)}, where step is
 * the number of optimizer steps already taken (0 for the first update), as PyTorch's LambdaLR applies them. Every kind
 * starts with a linear warmup {@code factor = step / warmup} for step &lt; warmup (so with warmup &gt; 0 the very
 * first update has lr 0, as in the reference); the decaying kinds (linear, cosine, wsd) reach {@code lr_min_ratio} at
 * {@code steps} and stay there.
 *
 * <ul>
 *   <li>{@code constant}: 1 after the warmup (the reference's "constant" has no warmup; use warmup 0 for that).
 *   <li>{@code linear}: s = (step - warmup) / (steps - warmup), factor = s·min + (1 - s).
 *   <li>{@code cosine}: factor = min + ½(1 - min)(cos(π s^θ) + 1), θ = cosine_theta (1 by default).
 *   <li>{@code inv_sqrt}: factor = max((warmup / step)^exp_factor, min), no end (needs warmup ≥ 1).
 *   <li>{@code wsd} (warmup-stable-decay): 1 until step = steps - D, D = floor(steps · decay_fraction), then linear
 *       down to min at step = steps (the linear form the reference names in a comment; its active formula divides by
 *       steps instead of D and so ends near 1/(decay_fraction/min + 1 - decay_fraction), e.g. 0.53, not at min).
 * </ul>
 * The reference's cycle_length is fixed at 1; at step == steps exactly, cosine and wsd give min here (the reference's
 * cycle arithmetic jumps back to 1 there, a step its training loop never takes).
 *
 * @param kind           the schedule
 * @param lr             peak learning rate
 * @param warmup         warmup steps
 * @param steps          total training steps
 * @param lrMinRatio     final lr as a fraction of lr
 * @param decayFraction  wsd: fraction of steps spent decaying
 * @param expFactor      inv_sqrt exponent
 * @param cosineTheta    cosine: exponent on the progress s
 */
public record LrSchedule(Kind kind, double lr, long warmup, long steps, double lrMinRatio, double decayFraction,
                         double expFactor, double cosineTheta) {

    /** Schedule kinds, by their config names. */
    public enum Kind {
        CONSTANT("constant"), LINEAR("linear"), COSINE("cosine"), INV_SQRT("inv_sqrt"), WSD("wsd");

        public final String configName;

        Kind(String configName) {
            this.configName = configName;
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String configName() {
            return configName;
        }

        /** A config name; an unknown one is refused, listing the valid names. */
        @com.fasterxml.jackson.annotation.JsonCreator
        public static Kind parse(String name) {
            for (Kind k : values()) if (k.configName.equals(name == null ? null : name.toLowerCase(Locale.ROOT))) return k;
            throw new Blt4jException("lr schedule: unknown scheduler '" + name + "'; valid: "
                    + Arrays.stream(values()).map(k -> k.configName).toList());
        }
    }

    public LrSchedule {
        if (kind == null) throw new Blt4jException("lr schedule: scheduler is missing");
        if (!(lr >= 0) || Double.isInfinite(lr)) throw new Blt4jException("lr schedule: lr must be >= 0, got " + lr);
        if (steps < 0) throw new Blt4jException("lr schedule: steps must be >= 0, got " + steps);
        if (warmup < 0) throw new Blt4jException("lr schedule: warmup must be >= 0, got " + warmup);
        if (warmup > steps && kind != Kind.INV_SQRT)
            throw new Blt4jException("lr schedule: warmup (" + warmup + ") must not exceed steps (" + steps + ")");
        if (!(lrMinRatio >= 0 && lrMinRatio <= 1))
            throw new Blt4jException("lr schedule: lr_min_ratio must be in [0, 1], got " + lrMinRatio);
        if (!(decayFraction >= 0 && decayFraction <= 1))
            throw new Blt4jException("lr schedule: decay_fraction must be in [0, 1], got " + decayFraction);
        if (!(expFactor > 0) || Double.isInfinite(expFactor))
            throw new Blt4jException("lr schedule: exp_factor must be > 0, got " + expFactor);
        if (!(cosineTheta > 0) || Double.isInfinite(cosineTheta))
            throw new Blt4jException("lr schedule: cosine_theta must be > 0, got " + cosineTheta);
        if (kind == Kind.INV_SQRT && warmup < 1)
            throw new Blt4jException("lr schedule: inv_sqrt needs warmup >= 1 (its decay is (warmup/step)^exp_factor)");
    }

    /** A schedule with the reference's defaults for the other knobs: lr_min_ratio 0.1, decay_fraction 0.1, exp_factor 0.5, cosine_theta 1. */
    public static LrSchedule of(String kind, double lr, long warmup, long steps) {
        return of(Kind.parse(kind), lr, warmup, steps);
    }

    /** Same, with the kind already parsed. */
    public static LrSchedule of(Kind kind, double lr, long warmup, long steps) {
        return new LrSchedule(kind, lr, warmup, steps, 0.1, 0.1, 0.5, 1.0);
    }

    /** A copy with another lr_min_ratio. */
    public LrSchedule withMinRatio(double ratio) {
        return new LrSchedule(kind, lr, warmup, steps, ratio, decayFraction, expFactor, cosineTheta);
    }

    /** A copy with another decay_fraction (wsd). */
    public LrSchedule withDecayFraction(double fraction) {
        return new LrSchedule(kind, lr, warmup, steps, lrMinRatio, fraction, expFactor, cosineTheta);
    }

    /** The learning rate of the update that follows {@code step} completed steps. */
    public double lr(long step) {
        return lr * factor(step);
    }

    /** The multiplier on lr at {@code step} (≥ 0). */
    public double factor(long step) {
        if (step < 0) throw new IllegalArgumentException("negative step " + step);
        if (step < warmup) return (double) step / warmup;
        double min = lrMinRatio;
        return switch (kind) {
            case CONSTANT -> 1.0;
            case INV_SQRT -> Math.max(Math.pow(warmup, expFactor) / Math.pow(step, expFactor), min);
            case LINEAR -> {
                if (step >= steps) yield min;
                double s = progress(step);
                yield s * min + (1 - s);
            }
            case COSINE -> {
                if (step >= steps) yield min;
                double s = progress(step);
                yield min + 0.5 * (1 - min) * (Math.cos(Math.PI * Math.pow(s, cosineTheta)) + 1);
            }
            case WSD -> {
                if (step >= steps) yield min;
                long decay = (long) (steps * decayFraction);
                long decayStart = steps - decay;
                if (step <= decayStart) yield 1.0;
                double s = (double) (step - decayStart) / decay;
                yield s * min + (1 - s);
            }
        };
    }

    /** (step - warmup) / (steps - warmup), for warmup ≤ step &lt; steps. */
    private double progress(long step) {
        return (double) (step - warmup) / (steps - warmup);
    }
}
