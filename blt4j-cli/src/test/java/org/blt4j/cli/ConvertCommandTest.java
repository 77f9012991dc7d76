package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.SafeTensors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * blt4j convert --to hf then --to hub gives the golden checkpoint back; a reference-trainer folder converts to hub;
 * an existing --out is refused.
 */
class ConvertCommandTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripAndRefusals() throws Exception {
        Path golden = org.blt4j.server.TestModels.goldenRoot();
        Path blt = golden.resolve("blt_base"), em = golden.resolve("entropy_model_forward");
        Path hf = tmp.resolve("hf"), hub = tmp.resolve("hub");
        assertEquals(0, CliErrorsTest.run("convert", "--model", blt.toString(), "--to", "hf", "--out", hf.toString(),
                "--entropy-model", em.toString()).code());
        assertTrue(Files.readString(hf.resolve("config.json")).contains("\"patch_in_forward\" : true"));
        assertEquals(0, CliErrorsTest.run("convert", "--model", hf.toString(), "--to", "hub", "--out", hub.toString()).code());
        assertEquals(Checkpoint.rawArgs(blt), Checkpoint.rawArgs(hub));
        assertEquals(Checkpoint.rawArgs(em), Checkpoint.rawArgs(hub.resolve("entropy_model")));
        try (SafeTensors a = Checkpoint.weights(blt); SafeTensors b = Checkpoint.weights(hub)) {
            for (String n : a.names()) assertEquals(-1, a.segment(n).mismatch(b.segment(n)), n);
            assertEquals(a.names().size(), b.names().size());
        }
        // the BLT's weights file comes back byte for byte (the entropy model's tensors are equal, in blt4j's order)
        assertEquals(-1, Files.mismatch(blt.resolve("model.safetensors"), hub.resolve("model.safetensors")));
        assertEquals(0, CliErrorsTest.run("forward", "--model", hf.toString(), "Hello").code()); // its own patcher
        CliErrorsTest.assertClear(CliErrorsTest.run("forward", "--model", blt.toString(), "Hello"),
                "no entropy model found for " + blt, "--entropy-model DIR");
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", blt.toString(), "--to", "hf", "--out", hf.toString()),
                "already exists");
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", blt.toString(), "--to", "hf", "--entropy-model", blt.toString(),
                "--out", tmp.resolve("w").toString()), "holds a BLT, not an entropy model");
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", em.toString(), "--to", "hf", "--out", tmp.resolve("v").toString()),
                "holds an entropy model, not a BLT");
        CliErrorsTest.assertClear(CliErrorsTest.run("inspect", blt.resolve("config.json").toString()), "is a file, not a checkpoint folder");
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", blt.toString(), "--to", "hub", "--out", tmp.resolve("x").toString()),
                "not in the HF layout");
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", hf.toString(), "--to", "hf", "--out", tmp.resolve("y").toString()),
                "already in the HF layout");
    }

    /** testdata/reference-layout/blt-fp32 (golden blt_k4_projection saved by torch) → hub: the golden tensors, bit for bit. */
    @Test
    void referenceFolderConvertsToHub() throws Exception {
        Path ref = org.blt4j.io.ReferenceFixtures.root().resolve("blt-fp32");
        Path golden = org.blt4j.server.TestModels.goldenRoot().resolve("blt_k4_projection"), hub = tmp.resolve("hub");
        assertEquals(0, CliErrorsTest.run("convert", "--model", ref.toString(), "--to", "hub", "--out", hub.toString()).code());
        assertTrue(Files.isRegularFile(hub.resolve("entropy_model/model.safetensors")));
        try (SafeTensors a = Checkpoint.weights(golden); SafeTensors b = Checkpoint.weights(hub)) {
            for (String n : a.names()) assertEquals(-1, a.segment(n).mismatch(b.segment(n)), n);
            assertEquals(a.names().size(), b.names().size());
        }
        CliErrorsTest.assertClear(CliErrorsTest.run("convert", "--model", ref.toString(), "--to", "hf", "--out", tmp.resolve("z").toString()),
                "convert it --to hub first");
    }
}
