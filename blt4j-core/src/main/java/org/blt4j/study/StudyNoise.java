package org.blt4j.study;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.eval.LanguageModel;
import org.blt4j.eval.LanguageModels;
import org.blt4j.eval.noise.FourWayItem;
import org.blt4j.eval.noise.FourWayItems;
import org.blt4j.eval.noise.NoiseEval;
import org.blt4j.run.ProgressBar;

/**
 * The study's robustness evaluation: at each of noise.sizes, every arm's model at its whole budget picks among the
 * four candidates of noise.items HellaSwag-like items from the held-out text, clean and under each noise type where
 * noise.where says. One file per arm (OUT/noise/SIZE-ARM.json), so a resumed study skips the finished ones.
 */
final class StudyNoise {
    private StudyNoise() {}

    /** One arm's accuracies: conditions[i] (e.g. "clean", "AntSpeak/both") got correct[i] of items right. */
    record Row(String size, String arm, List<String> conditions, List<Integer> correct, List<Double> trueBpb, int items,
               double seconds) {
        double accuracy(int i) {
            return correct.get(i) / (double) items;
        }
    }

    static List<Row> run(StudyConfig cfg, StudyData data, List<ArmPlan> plans, Path out, Path emDir, PrintStream log) {
        List<Row> rows = new ArrayList<>();
        List<FourWayItem> items = null;
        for (String size : cfg.noise().sizes()) {
            for (ArmPlan p : plans) {
                if (!p.size().equals(size)) continue;
                Path f = out.resolve("noise").resolve(size + "-" + p.arm() + ".json");
                if (Files.isRegularFile(f)) {
                    Row old = StudyFiles.read(f, Row.class);
                    if (old.trueBpb() != null) {              // a file of an older blt4j lacks it: score again
                        rows.add(old);
                        continue;
                    }
                }
                if (items == null) items = FourWayItems.build(data.split().heldOut(), cfg.noise().items(), cfg.noise().seed());
                long t0 = System.nanoTime();
                LanguageModel m = LanguageModels.load(ArmRunner.armDir(out, p).resolve("main"), p.type().isBlt() ? emDir : null);
                List<NoiseEval.Condition> conds = NoiseEval.conditions(cfg.noise().wheres());
                ProgressBar bar = new ProgressBar("noise " + p.key(), (long) items.size() * conds.size(), "item");
                List<NoiseEval.Result> res = NoiseEval.run(m, items, conds, cfg.noise().seed(), n -> bar.update(n, n));
                bar.finish();
                List<String> labels = new ArrayList<>();
                List<Integer> correct = new ArrayList<>();
                List<Double> bpb = new ArrayList<>();
                for (NoiseEval.Result r : res) {
                    labels.add(r.condition().label());
                    correct.add(r.accuracy().correct());
                    bpb.add(r.trueBitsPerByte());
                }
                Row row = new Row(size, p.arm(), labels, correct, bpb, items.size(), (System.nanoTime() - t0) / 1e9);
                StudyFiles.writeJson(f, row);
                log.printf("noise %s: clean %.3f%n", p.key(), row.accuracy(0));
                rows.add(row);
            }
        }
        return rows;
    }
}
