package org.blt4j.run;

import org.blt4j.io.ModelDirs;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.blt4j.Blt4jException;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.SafeTensors;
import org.blt4j.nn.ParamStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCheckpointTest {
    @TempDir
    Path tmp;

    private static final List<ParamStore.Spec> SPECS = List.of(
            new ParamStore.Spec("tok_embeddings.weight", 7, 4),
            new ParamStore.Spec("layers.0.attention_norm.weight", 4),
            new ParamStore.Spec("output.weight", 3, 2, 2));

    /** A model whose parameters and moments are filled from {@code seed} (with -0.0 and a subnormal mixed in). */
    private record Model(ParamStore params, float[] m, float[] v) {
        static Model random(long seed) {
            ParamStore p = ParamStore.allocate(SPECS);
            Random r = new Random(seed);
            float[] m = p.newBuffer(), v = p.newBuffer();
            for (int i = 0; i < p.size(); i++) {
                p.data()[i] = (float) r.nextGaussian();
                m[i] = (float) r.nextGaussian() * 1e-3f;
                v[i] = r.nextFloat() * 1e-6f;
            }
            p.data()[0] = -0.0f;
            m[1] = Float.MIN_VALUE;
            return new Model(p, m, v);
        }

        static Model empty() {
            ParamStore p = ParamStore.allocate(SPECS);
            return new Model(p, p.newBuffer(), p.newBuffer());
        }
    }

    private static TrainState state(long step) {
        ObjectNode config = RunFiles.JSON.createObjectNode().put("lr", 1e-3).put("batch_size", 8).put("corpus", "sotu");
        ObjectNode extra = RunFiles.JSON.createObjectNode().put("best_heldout_bpb", 2.5);
        return new TrainState(step, step * 4096, step * 4000, 123_456_789_012L + step, step,
                List.of(1L, -2L, Long.MAX_VALUE, Long.MIN_VALUE), config, extra);
    }

    private static final Map<String, Object> ARGS = Map.of("dim", 4, "n_layers", 1, "vocab_size", 7);

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static void assertBitsEqual(float[] expected, float[] actual) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++)
            assertEquals(Float.floatToRawIntBits(expected[i]), Float.floatToRawIntBits(actual[i]), "element " + i);
    }

    private static void assertRestored(Model saved, Path dir, long step) {
        Model back = Model.empty();
        TrainState st = TrainCheckpoint.load(dir, back.params(), back.m(), back.v());
        assertEquals(state(step), st);
        assertBitsEqual(saved.params().data(), back.params().data());
        assertBitsEqual(saved.m(), back.m());
        assertBitsEqual(saved.v(), back.v());
    }

    @Test
    void roundTripRestoresParamsMomentsAndStateExactly() throws IOException {
        Path run = tmp.resolve("run");
        Model model = Model.random(1);
        Path step = new TrainCheckpoint(run, 3).save(state(120), ARGS, model.params(), model.m(), model.v());

        assertEquals(run.resolve("step-000120"), step);
        assertEquals(List.of("latest", "step-000120"), listing(run));
        assertEquals("step-000120\n", Files.readString(run.resolve("latest")));
        assertEquals(List.of("config.json", "model.safetensors", "optimizer.safetensors", "state.json"), listing(step));
        assertEquals(4, Checkpoint.rawArgs(step).get("dim").asInt()); // a hub checkpoint as it is
        try (SafeTensors opt = SafeTensors.open(step.resolve(TrainCheckpoint.OPTIMIZER))) {
            assertEquals(6, opt.names().size());
            assertArrayEquals(new long[] {3, 2, 2}, opt.info("v.output.weight").shape());
            assertEquals("F32", opt.info("m.tok_embeddings.weight").dtype().safetensorsName());
        }
        assertRestored(model, run, 120);
        assertRestored(model, step, 120);
        assertEquals(state(120), TrainCheckpoint.readState(run));

        // loadLatest reads the same, and the state survives state.json's JSON round trip unchanged
        Model back = Model.empty();
        assertEquals(state(120), TrainCheckpoint.loadLatest(run, back.params(), null, null));
        assertBitsEqual(model.params().data(), back.params().data());
    }

    record SmallArgs(Integer dim, Integer vocabSize, String unset) {}

    @Test
    void recordArgsBecomeConfigJsonWithoutTheirNulls() {
        Model model = Model.random(15);
        Path step = new TrainCheckpoint(tmp.resolve("run"), 1).save(state(1), new SmallArgs(4, 7, null), model.params(),
                null, null);
        JsonNode args = Checkpoint.rawArgs(step);
        assertEquals(4, args.get("dim").asInt());
        assertFalse(args.has("unset"), args.toString());
        assertFalse(Files.exists(step.resolve(TrainCheckpoint.OPTIMIZER)));
    }

    @Test
    void resolveAcceptsRunOrStepFolder() {
        Path run = tmp.resolve("run");
        Model model = Model.random(2);
        TrainCheckpoint ck = new TrainCheckpoint(run, 5);
        ck.save(state(1), ARGS, model.params(), model.m(), model.v());
        Path s2 = ck.save(state(2), ARGS, model.params(), model.m(), model.v());
        assertEquals(s2, ModelDirs.resolve(run));
        assertEquals(run.resolve("step-000001"), ModelDirs.resolve(run.resolve("step-000001")));
        Blt4jException e = assertThrows(Blt4jException.class, () -> ModelDirs.resolve(tmp));
        assertTrue(e.getMessage().contains("neither"), e.getMessage());
        assertThrows(Blt4jException.class, () -> TrainCheckpoint.loadLatest(tmp, model.params(), null, null));
        assertThrows(Blt4jException.class, () -> ModelDirs.resolve(tmp.resolve("absent")));
        Blt4jException pointer = assertThrows(Blt4jException.class, () -> ModelDirs.resolveModel(run.resolve("latest")));
        assertTrue(pointer.getMessage().contains("pass the run folder"), pointer.getMessage());
    }

    @Test
    void keepsTheLastKStepFolders() throws IOException {
        Path run = tmp.resolve("run");
        TrainCheckpoint ck = new TrainCheckpoint(run, 2);
        Model model = null;
        for (int step = 1; step <= 5; step++) {
            model = Model.random(step);
            ck.save(state(step * 100L), ARGS, model.params(), model.m(), model.v());
        }
        assertEquals(List.of("latest", "step-000400", "step-000500"), listing(run));
        assertRestored(model, run, 500);
        assertEquals(2, ModelDirs.steps(run).size());
    }

    @Test
    void savingAnEarlierStepDropsTheAbandonedLaterOnes() throws IOException {
        Path run = tmp.resolve("run");
        TrainCheckpoint ck = new TrainCheckpoint(run, 5);
        Model model = Model.random(3);
        for (long step : new long[] {10, 20, 30}) ck.save(state(step), ARGS, model.params(), model.m(), model.v());
        ck.save(state(15), ARGS, model.params(), model.m(), model.v()); // resumed from 10, saved at 15
        assertEquals(List.of("latest", "step-000010", "step-000015"), listing(run));
        assertEquals(15, TrainCheckpoint.readState(run).step());
    }

    @Test
    void resavingAStepReplacesIt() throws IOException {
        Path run = tmp.resolve("run");
        TrainCheckpoint ck = new TrainCheckpoint(run, 1);
        ck.save(state(7), ARGS, Model.random(4).params(), null, null);
        Model second = Model.random(5);
        ck.save(state(7), ARGS, second.params(), second.m(), second.v());
        assertEquals(List.of("latest", "step-000007"), listing(run));
        assertRestored(second, run, 7);
    }

    @Test
    void aFailedSaveLeavesThePreviousCheckpointAndLatestAsTheyWere() throws IOException {
        List<String> failAt = List.of("write tok_embeddings.weight", "write output.weight", "write m.output.weight",
                "write v.layers.0.attention_norm.weight", "staged", "installed");
        for (String stage : failAt) {
            Path run = tmp.resolve("run-" + stage.replaceAll("\\W", "_"));
            TrainCheckpoint ck = new TrainCheckpoint(run, 1);
            Model first = Model.random(6);
            ck.save(state(1), ARGS, first.params(), first.m(), first.v());

            ck.hook = s -> {
                if (s.equals(stage)) throw new IllegalStateException("injected failure at " + s);
            };
            Model second = Model.random(7);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ck.save(state(2), ARGS, second.params(), second.m(), second.v()), stage);
            assertTrue(e.getMessage().contains(stage));

            assertEquals(List.of("latest", "step-000001"), listing(run), stage); // nothing new, no hidden leftovers
            assertEquals("step-000001\n", Files.readString(run.resolve("latest")), stage);
            assertEquals(List.of("config.json", "model.safetensors", "optimizer.safetensors", "state.json"),
                    listing(run.resolve("step-000001")), stage);
            assertRestored(first, run, 1);

            ck.hook = s -> {};
            ck.save(state(2), ARGS, second.params(), second.m(), second.v()); // and the run goes on
            assertRestored(second, run, 2);
        }
    }

    @Test
    void aFailedResaveOfTheSameStepKeepsTheOldFolder() throws IOException {
        Path run = tmp.resolve("run");
        TrainCheckpoint ck = new TrainCheckpoint(run, 2);
        Model first = Model.random(8);
        ck.save(state(3), ARGS, first.params(), first.m(), first.v());
        ck.hook = s -> {
            if (s.equals("installed")) throw new IllegalStateException("injected");
        };
        Model second = Model.random(9);
        assertThrows(IllegalStateException.class, () -> ck.save(state(3), ARGS, second.params(), second.m(), second.v()));
        assertEquals(List.of("latest", "step-000003"), listing(run));
        assertRestored(first, run, 3);
    }

    @Test
    void leftoversOfAKilledSaveAreRemovedByTheNextSave() throws IOException {
        Path run = tmp.resolve("run");
        Path junk = Files.createDirectories(run.resolve(".step-000002.tmp-0123456789abcdef"));
        Files.writeString(junk.resolve("model.safetensors"), "half");
        Files.writeString(run.resolve(".latest.tmp-fedcba9876543210"), "step-000002");
        Files.writeString(run.resolve("notes.txt"), "mine");
        Model model = Model.random(10);
        new TrainCheckpoint(run, 1).save(state(3), ARGS, model.params(), model.m(), model.v());
        assertEquals(List.of("latest", "notes.txt", "step-000003"), listing(run));
    }

    @Test
    void aStepFolderMovedAsideByAKilledReplacementIsPutBack() throws IOException {
        Path run = tmp.resolve("run");
        TrainCheckpoint ck = new TrainCheckpoint(run, 5);
        Model first = Model.random(13);
        Path step1 = ck.save(state(1), ARGS, first.params(), first.m(), first.v());
        // killed between moving step-000001 aside and moving its replacement in
        Files.move(step1, run.resolve(".step-000001.old-0123456789abcdef"));
        Model second = Model.random(14);
        ck.save(state(2), ARGS, second.params(), second.m(), second.v());
        assertEquals(List.of("latest", "step-000001", "step-000002"), listing(run));
        assertRestored(first, step1, 1);
    }

    @Test
    void loadChecksNamesAndShapesBeforeOverwritingAnything() {
        Path run = tmp.resolve("run");
        Model model = Model.random(11);
        new TrainCheckpoint(run, 1).save(state(4), ARGS, model.params(), null, null);

        ParamStore other = ParamStore.allocate(List.of(new ParamStore.Spec("tok_embeddings.weight", 7, 4),
                new ParamStore.Spec("layers.0.attention_norm.weight", 5), new ParamStore.Spec("output.weight", 3, 2, 2)));
        java.util.Arrays.fill(other.data(), 42f);
        Blt4jException e = assertThrows(Blt4jException.class, () -> TrainCheckpoint.load(run, other, null, null));
        assertTrue(e.getMessage().contains("layers.0.attention_norm.weight"), e.getMessage());
        for (float f : other.data()) assertEquals(42f, f); // untouched

        ParamStore fewer = ParamStore.allocate(SPECS.subList(0, 2));
        e = assertThrows(Blt4jException.class, () -> TrainCheckpoint.load(run, fewer, null, null));
        assertTrue(e.getMessage().contains("unexpected [output.weight]"), e.getMessage());

        Model back = Model.empty();
        e = assertThrows(Blt4jException.class, () -> TrainCheckpoint.load(run, back.params(), back.m(), back.v()));
        assertTrue(e.getMessage().contains("without optimizer state"), e.getMessage());
        assertThrows(Blt4jException.class, () -> TrainCheckpoint.load(run, back.params(), back.m(), null));
    }

    @Test
    void stateJsonIsReadableAndValidated() throws IOException {
        Path run = tmp.resolve("run");
        Model model = Model.random(12);
        Path step = new TrainCheckpoint(run, 1).save(state(5), ARGS, model.params(), model.m(), model.v());
        JsonNode json = RunFiles.JSON.readTree(step.resolve(TrainCheckpoint.STATE).toFile());
        assertEquals(5, json.get("step").asLong());
        assertEquals(123_456_789_017L, json.get("data_position").asLong());
        assertEquals("sotu", json.get("train_config").get("corpus").asText());

        Files.writeString(step.resolve(TrainCheckpoint.STATE), json.toString().replace("\"step\":5", "\"step\":\"5\""));
        Blt4jException e = assertThrows(Blt4jException.class, () -> TrainCheckpoint.readState(run));
        assertTrue(e.getMessage().contains("\"step\" must be a 64-bit integer"), e.getMessage());
        assertFalse(Files.exists(run.resolve("step-000006")));
    }
}
