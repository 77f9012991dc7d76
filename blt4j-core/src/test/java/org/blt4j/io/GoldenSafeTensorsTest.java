package org.blt4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.BltArgs;
import org.blt4j.model.LmArgs;
import org.blt4j.tensor.RowTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reads every golden safetensors file, checks the weights against the configs, and rewrites them byte-exactly. */
class GoldenSafeTensorsTest {
    @TempDir
    Path tmp;

    @Test
    void everyGoldenFileReads() {
        List<Path> files = RawSafeTensors.goldenFiles();
        assertFalse(files.isEmpty(), "no golden safetensors under " + GoldenCases.root());
        for (Path f : files) {
            try (SafeTensors st = SafeTensors.open(f)) {
                assertFalse(st.names().isEmpty(), f.toString());
                for (String name : st.names()) {
                    TensorInfo t = st.info(name);
                    assertEquals(DType.F32, t.dtype(), name);
                    long numel = 1;
                    for (long d : t.shape()) {
                        assertTrue(d > 0, name + " " + t.shapeString());
                        numel *= d;
                    }
                    assertEquals(numel, t.numel());
                    float[] v = st.floats(name, t.shape());
                    for (float x : v) assertTrue(Float.isFinite(x), f + " " + name);
                }
            }
        }
    }

    /** The reference writer's layout is ours: same order, compact JSON, space padding. */
    @Test
    void rewritingGoldenFilesIsByteExact() throws Exception {
        for (Path f : RawSafeTensors.goldenFiles()) {
            Path out = tmp.resolve("copy.safetensors");
            try (SafeTensors st = SafeTensors.open(f)) {
                SafeTensorsWriter w = new SafeTensorsWriter(DType.F32).metadata(st.metadata());
                for (String name : st.names()) w.add(name, st.floats(name), st.info(name).shape());
                w.write(out);
            }
            assertArrayEquals(Files.readAllBytes(f), Files.readAllBytes(out), f.toString());
        }
    }

    @Test
    void entropyModelWeightsMatchTheirConfig() {
        List<GoldenCases.Case> cases = GoldenCases.ofKind("entropy_model_forward");
        assertFalse(cases.isEmpty());
        for (GoldenCases.Case c : cases) {
            LmArgs a = Checkpoint.readArgs(c.dir(), LmArgs.class);
            try (SafeTensors st = Checkpoint.weights(c.dir())) {
                st.checkShape("tok_embeddings.weight", a.vocabSize(), a.dim());
                st.checkShape("layers." + (a.nLayers() - 1) + ".attention.wq.weight", (long) a.nHeads() * a.headDim(), a.dim());
                st.checkShape("layers.0.feed_forward.w1.weight", a.ffnHidden(), a.dim());
                assertFalse(st.contains("layers." + a.nLayers() + ".attention.wq.weight"));
            }
        }
    }

    @Test
    void bltWeightsMatchTheirConfigAndHashTablesReadInPlace() {
        List<GoldenCases.Case> cases = GoldenCases.ofKind("blt");
        assertFalse(cases.isEmpty());
        for (GoldenCases.Case c : cases) {
            BltArgs a = Checkpoint.readArgs(c.dir(), BltArgs.class);
            try (SafeTensors st = Checkpoint.weights(c.dir())) {
                st.checkShape("local_encoder.tok_embeddings.weight", a.vocabSize(), a.dimLocalEncoder());
                st.checkShape("global_transformer.layers." + (a.nLayersGlobal() - 1) + ".attention.wq.weight",
                        a.dimGlobal(), a.dimGlobal());
                assertFalse(st.contains("global_transformer.layers." + a.nLayersGlobal() + ".attention.wq.weight"));
                for (int i = 0; i < a.numHashTables(); i++) {
                    String name = "encoder_hash_tok_embedding." + i + ".weight";
                    float[] heap = st.floats(name, a.encoderHashByteGroupVocab(), a.dimLocalEncoder());
                    RowTable rows = st.rows(name);
                    RowTable ref = RowTable.heap(heap, 0, rows.rows(), rows.dim());
                    for (long r : new long[] {0, 1, rows.rows() / 2, rows.rows() - 1}) {
                        float[] x = new float[rows.dim()], y = new float[rows.dim()];
                        rows.addRowTo(r, x, 0);
                        ref.addRowTo(r, y, 0);
                        assertArrayEquals(y, x, name + " row " + r);
                    }
                }
                assertFalse(st.contains("encoder_hash_tok_embedding." + a.numHashTables() + ".weight"));
            }
        }
    }
}
