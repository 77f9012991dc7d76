package org.blt4j.eval.noise;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.eval.LanguageModel;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

class NoiseEvalTest {
    @Test
    void conditionsAreCleanThenEveryNoiseTimesWhere() {
        List<NoiseEval.Condition> c = NoiseEval.conditions(List.of(NoiseWhere.CONTEXT, NoiseWhere.BOTH));
        assertEquals(11, c.size());
        assertEquals("clean", c.get(0).label());
        assertNull(c.get(0).noise());
        assertEquals("AntSpeak/context", c.get(1).label());
        assertEquals("AntSpeak/both", c.get(2).label());
        assertEquals("UpperCase/both", c.get(10).label());
        assertThrows(Blt4jException.class, () -> NoiseEval.conditions(List.of()));
    }

    @Test
    void accuracyIsTheChoiceOfTheSingleScorerOnTheNoisedItems() {
        List<FourWayItem> items = new ArrayList<>();
        for (int i = 0; i < 40; i++)
            items.add(new FourWayItem("Item " + i + " starts here. The cat sat.", List.of("It slept on the mat " + i + ".",
                    "Then dogs came.", "The sun was out, " + i + " times.", "A longer candidate sentence here."), i % 4));
        LanguageModel m = new LanguageModel.Bytes(ModelScorerTest.tinyLm(ByteTokenizer.VOCAB_SIZE, 128, 7));
        List<NoiseEval.Condition> conds = NoiseEval.conditions(List.of(NoiseWhere.CANDIDATES));
        List<Integer> progress = new ArrayList<>();
        List<NoiseEval.Result> r = NoiseEval.run(m, items, conds, 3, progress::add);
        assertEquals(conds.size(), r.size());
        ContinuationScorer one = ModelScorer.of(m);
        for (int c = 0; c < conds.size(); c++) {
            NoiseEval.Condition k = conds.get(c);
            List<FourWayItem> noised = k.noise() == null ? items : FourWayItems.noised(items, k.noise(), k.where(), 3);
            assertEquals(FourWayChoice.accuracy(noised, one), r.get(c).accuracy(), k.label());
            assertEquals(k, r.get(c).condition());
            double nats = 0;
            long bytes = 0;
            for (FourWayItem it : noised) {
                ContinuationScorer.Score sc = one.score(it.contextBytes(), it.continuation(it.answer()));
                nats -= sc.logLikelihood();
                bytes += sc.bytes();
            }
            assertEquals(nats / Math.log(2) / bytes, r.get(c).trueBitsPerByte(), 1e-9, k.label());
        }
        assertEquals(items.size() * conds.size(), progress.get(progress.size() - 1));
        assertEquals(Math.ceilDiv(items.size(), NoiseEval.BATCH) * conds.size(), progress.size());
        assertEquals(1, NoiseEval.pick(new double[] {-2, -1, -1, -3}));
    }
}
