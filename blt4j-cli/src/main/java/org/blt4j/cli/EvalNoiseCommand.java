package org.blt4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.blt4j.eval.LanguageModel;
import org.blt4j.eval.LanguageModels;
import org.blt4j.eval.noise.FourWayItem;
import org.blt4j.eval.noise.FourWayItems;
import org.blt4j.eval.noise.NoiseEval;
import org.blt4j.eval.noise.NoiseWhere;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j eval-noise: four-way accuracy of a model on held-out items, clean and under the paper's five noises. */
@Command(name = "eval-noise", mixinStandardHelpOptions = true,
        description = "Robustness: accuracy on HellaSwag-like four-way items built from the held-out text, clean and under "
                + "AntSpeak, Drop, RandomCase, Repeat and UpperCase noise (BLT, byte LM or token LM).")
final class EvalNoiseCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "BLT, byte LM or token LM (run, step or hub folder)")
    Path model;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model that patches the BLT (default: as for"
            + " generate: the patcher of a Hugging Face folder, else the entropy model its training run recorded, else entropy_model"
            + " or entropy in or beside the --model folder)")
    Path entropyModel;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = ".txt, .gz or .jsonl file")
    Path data;

    @Option(names = "--heldout-fraction", defaultValue = "0.1", description = "last fraction of the bytes held out (default: ${DEFAULT-VALUE})")
    double heldOutFraction;

    @Option(names = "--items", defaultValue = "500", description = "four-way items (default: ${DEFAULT-VALUE})")
    int items;

    @Option(names = "--where", defaultValue = "both", paramLabel = "both|context|candidates|all",
            description = "what the noise is applied to; all: each of the three (default: ${DEFAULT-VALUE})")
    String where;

    @Option(names = "--seed", defaultValue = "1", description = "seed of the items and the noise (default: ${DEFAULT-VALUE})")
    long seed;

    @Override
    public Integer call() {
        if (items < 1) throw new Blt4jException("--items must be at least 1, got " + items);
        List<NoiseWhere> wheres;
        try {
            wheres = where.strip().equalsIgnoreCase("all") ? List.of(NoiseWhere.values()) : List.of(NoiseWhere.parse(where));
        } catch (org.blt4j.Blt4jException e) {
            throw new org.blt4j.Blt4jException("--where " + where + ": give both, context, candidates or all");
        }
        List<FourWayItem> clean = FourWayItems.build(DataSplit.split(Corpus.read(data), heldOutFraction).heldOut(), items, seed);
        LanguageModel m = LanguageModels.load(model, entropyModel);
        List<NoiseEval.Condition> conds = NoiseEval.conditions(wheres);
        long total = (long) clean.size() * conds.size();
        long t0 = System.nanoTime();
        List<NoiseEval.Result> results = NoiseEval.run(m, clean, conds, seed,
                done -> System.err.printf("\rscored %,d / %,d items", done, total));
        double s = (System.nanoTime() - t0) / 1e9;
        System.err.printf("%n%,d items (× 4 candidates) in %.1f s: %.1f items/s%n", total, s, total / s);
        System.out.print(table(results));
        return 0;
    }

    /**
     * condition, accuracy, drop vs clean (points: clean minus this accuracy, so a fall is positive and a rise negative);
     * then the average over the five noises per where.
     */
    static String table(List<NoiseEval.Result> results) {
        double clean = results.get(0).accuracy().accuracy();
        double cleanBpb = results.get(0).trueBitsPerByte();
        StringBuilder sb = new StringBuilder(String.format("%-22s %9s %14s %14s%n", "condition", "accuracy", "drop vs clean",
                "true-next bpb"));
        Map<NoiseWhere, List<Double>> byWhere = new EnumMap<>(NoiseWhere.class);
        for (NoiseEval.Result r : results) {
            double a = r.accuracy().accuracy();
            sb.append(String.format("%-22s %8.1f%% %+13.1f %8.3f %+6.3f%n", r.condition().label(), 100 * a, 100 * (clean - a),
                    r.trueBitsPerByte(), r.trueBitsPerByte() - cleanBpb));
            if (r.condition().noise() != null) byWhere.computeIfAbsent(r.condition().where(), w -> new ArrayList<>()).add(a);
        }
        for (var e : byWhere.entrySet()) {
            double avg = e.getValue().stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            sb.append(String.format("%-22s %8.1f%% %+13.1f%n", "average/" + e.getKey().name().toLowerCase(java.util.Locale.ROOT),
                    100 * avg, 100 * (clean - avg)));
        }
        sb.append(String.format("(%d items; accuracy by chance 25%%; drop in points, clean minus noised: negative when noise raised the accuracy; true-next bpb: bits per byte of the true"
                + " next sentence given the context, and its change from clean)%n", results.get(0).accuracy().items()));
        return sb.toString();
    }
}
