package org.blt4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.blt4j.data.BltPacker;
import org.blt4j.data.TokenStream;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Test;

/**
 * Bits per byte on the golden models against the definition worked out here from the models' logits: Σ over every
 * target of −log softmax(logits)[target] (in double), / ln 2, / the targets that are bytes (BOS and EOS are not).
 */
class BitsPerByteTest {
    private static final List<byte[]> DOCS = List.of(
            "The quick brown fox jumps over the lazy dog. ".repeat(3).getBytes(StandardCharsets.UTF_8),
            "Pack my box with five dozen liquor jugs; ça va?".getBytes(StandardCharsets.UTF_8));
    private static final int[] IDS = TokenStream.encode(DOCS);   // BOS doc EOS BOS doc EOS

    private static EntropyModel entropyModel() {
        return ModelLoader.entropyModel(GoldenCases.root().resolve("entropy_model_forward"));
    }

    @Test
    void entropyModelRowsOfSeqLenAndOnlyByteTargetsCounted() {
        EntropyModel em = entropyModel();
        int seqLen = 50, V = em.args().vocabSize();
        double nats = 0;
        long bytes = 0;
        for (int from = 0; from < IDS.length - 1; from += seqLen) {
            int to = Math.min(IDS.length - 1, from + seqLen);
            int[] x = Arrays.copyOfRange(IDS, from, to), y = Arrays.copyOfRange(IDS, from + 1, to + 1);
            nats += nats(em.forward(x), y, V);
            for (int t : y) if (ByteTokenizer.isByte(t)) bytes++;
        }
        long docBytes = DOCS.stream().mapToLong(d -> d.length).sum();
        assertEquals(docBytes, bytes); // every byte is a target once; the targets EOS, BOS, EOS are not counted
        BitsPerByte.Eval e = BitsPerByte.entropyModel(em, IDS, seqLen, Long.MAX_VALUE);
        assertEquals(bytes, e.bytes());
        assertEquals(nats / Math.log(2) / bytes, e.bpb(), 1e-9);
        assertTrue(Double.isNaN(e.avgPatchLength()));

        // maxBytes = one row's worth: the first row only
        int[] y0 = Arrays.copyOfRange(IDS, 1, seqLen + 1);
        BitsPerByte.Eval first = BitsPerByte.entropyModel(em, IDS, seqLen, seqLen);
        assertEquals(nats(em.forward(Arrays.copyOf(IDS, seqLen)), y0, V) / Math.log(2) / seqLen, first.bpb(), 1e-9);
        assertEquals(seqLen, first.bytes()); // the first row's targets are all bytes
    }

    @Test
    void bltOverThePackersRowsWithPatchLength() {
        EntropyModel em = entropyModel();
        ByteLatentTransformer blt = ModelLoader.blt(GoldenCases.root().resolve("blt_base"), false);
        int seqLen = 40, V = blt.args().vocabSize();
        BltPacker packer = new BltPacker(IDS, em.entropies(IDS), blt.args().patcherArgs(),
                new BltPacker.Config(1, (int) Math.ceil(seqLen / blt.args().patchSize()), seqLen, false, null));
        double nats = 0;
        long bytes = 0, ids = 0, patches = 0;
        for (int r = 0; r < packer.rowsPerEpoch(); r++) {
            BltPacker.Row row = packer.row(r);
            nats += nats(blt.forward(row.x(), row.patchLengths()), row.y(), V);
            for (int t : row.y()) if (ByteTokenizer.isByte(t)) bytes++;
            ids += row.x().length;
            patches += Arrays.stream(row.patchLengths()).filter(l -> l > 0).count() - 1; // less the BOS patch
        }
        assertTrue(packer.rowsPerEpoch() > 2, "several rows: " + packer.rowsPerEpoch());
        BitsPerByte.Eval e = BitsPerByte.blt(blt, packer, Long.MAX_VALUE);
        assertEquals(bytes, e.bytes());
        assertEquals(nats / Math.log(2) / bytes, e.bpb(), 1e-9);
        assertEquals(ids / (double) patches, e.avgPatchLength(), 1e-12);

        // maxBytes below one row: the first row only
        BltPacker.Row row0 = packer.row(0);
        long bytes0 = Arrays.stream(row0.y()).filter(ByteTokenizer::isByte).count();
        assertEquals(bytes0, BitsPerByte.blt(blt, packer, 1).bytes());
    }

    /** Σ_i −log softmax(logits_i)[y_i] in double, logits [y.length, V]. */
    private static double nats(float[] logits, int[] y, int V) {
        double total = 0;
        for (int i = 0; i < y.length; i++) {
            double z = 0;
            for (int v = 0; v < V; v++) z += Math.exp(logits[i * V + v]);
            total += Math.log(z) - logits[i * V + y[i]];
        }
        return total;
    }
}
