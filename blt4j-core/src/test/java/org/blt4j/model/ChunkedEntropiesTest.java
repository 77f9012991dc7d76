package org.blt4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.blt4j.data.TokenStream;
import org.blt4j.golden.GoldenCases;
import org.blt4j.model.ChunkedEntropies.Chunking;
import org.blt4j.model.ChunkedEntropies.Progress;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A document's entropies do not depend on the stream it sits in: the same bits alone, among other documents, in
 * another order, through {@link ChunkedEntropies#ofDocuments} and on any number of threads. Golden entropy model:
 * 2 layers, window 32 (receptive field 62), max_seqlen 512.
 */
class ChunkedEntropiesTest {
    static EntropyModel model;
    static List<byte[]> docs;

    @BeforeAll
    static void load() {
        model = ModelLoader.entropyModel(GoldenCases.ofKind("entropy_model_forward").get(0).dir());
        Random rnd = new Random(11);
        docs = new ArrayList<>();
        // empty, shorter than a chunk, longer than the chunk (20) and than the position period (50), than max_seqlen
        for (int len : new int[] {0, 1, 5, 19, 20, 21, 45, 130, 0, 333, 7, 600, 2}) {
            byte[] d = new byte[len];
            for (int i = 0; i < len; i++) d[i] = (byte) (rnd.nextInt(4) == 0 ? ' ' : 'a' + rnd.nextInt(26));
            docs.add(d);
        }
    }

    /** Chunkings whose chunks, warmups and RoPE origins all fall inside the test documents. */
    static List<Chunking> chunkings() {
        Chunking exact = Chunking.exact(model.args(), 2);
        return List.of(new Chunking(20, exact.warmup(), 50, 2), new Chunking(37, exact.warmup(), 60, 3),
                exact.with(64, exact.warmup()), exact);
    }

    static float[] alone(byte[] doc, Chunking c) {
        return ChunkedEntropies.compute(model, TokenStream.encode(List.of(doc)), c, Progress.NONE);
    }

    /** The slices of compute over the stream of docs, one per document. */
    static List<float[]> slices(List<byte[]> ds, Chunking c) {
        float[] h = ChunkedEntropies.compute(model, TokenStream.encode(ds), c, Progress.NONE);
        List<float[]> out = new ArrayList<>();
        int k = 0;
        for (byte[] d : ds) {
            out.add(Arrays.copyOfRange(h, k, k + d.length + 2));
            k += d.length + 2;
        }
        assertEquals(h.length, k);
        return out;
    }

    @Test
    void aDocumentGivesTheSameBitsAloneAndInAnyStream() {
        for (Chunking c : chunkings()) {
            List<float[]> inStream = slices(docs, c);
            for (int d = 0; d < docs.size(); d++)
                assertArrayEquals(alone(docs.get(d), c), inStream.get(d), "document " + d + " (" + docs.get(d).length + " bytes), " + c);
            // a shuffled subset: other neighbours, other offsets in the stream
            List<Integer> order = new ArrayList<>();
            for (int d = 0; d < docs.size(); d++) if (d % 3 != 1) order.add(d);
            Collections.shuffle(order, new Random(5));
            List<byte[]> subset = new ArrayList<>();
            for (int d : order) subset.add(docs.get(d));
            List<float[]> shuffled = slices(subset, c);
            for (int i = 0; i < order.size(); i++)
                assertArrayEquals(inStream.get(order.get(i)), shuffled.get(i), "document " + order.get(i) + " shuffled, " + c);
        }
    }

    @Test
    void ofDocumentsEqualsTheSlicesOfTheStream() {
        for (Chunking c : chunkings()) {
            float[][] each = ChunkedEntropies.ofDocuments(model, docs, c);
            List<float[]> inStream = slices(docs, c);
            assertEquals(docs.size(), each.length);
            for (int d = 0; d < docs.size(); d++) {
                assertEquals(docs.get(d).length + 2, each[d].length);
                assertArrayEquals(inStream.get(d), each[d], "document " + d + ", " + c);
            }
        }
        assertEquals(0, ChunkedEntropies.ofDocuments(model, List.of(), chunkings().get(0)).length);
    }

    @Test
    void theThreadCountChangesNothing() {
        Chunking c = chunkings().get(0);
        float[] one = ChunkedEntropies.compute(model, TokenStream.encode(docs), new Chunking(20, c.warmup(), 50, 1), Progress.NONE);
        float[] three = ChunkedEntropies.compute(model, TokenStream.encode(docs), new Chunking(20, c.warmup(), 50, 3), Progress.NONE);
        assertArrayEquals(one, three);
    }

    @Test
    void equalsOneFullForwardPassPerDocumentUpToRounding() {
        for (Chunking c : chunkings()) {
            List<float[]> inStream = slices(docs, c);
            for (int d = 0; d < docs.size(); d++) {
                float[] full = model.entropies(TokenStream.encode(List.of(docs.get(d))));
                // positions restarting at the period change RoPE angles by rounding only
                assertArrayEquals(full, inStream.get(d), 1e-4f, "document " + d + ", " + c);
            }
        }
    }
}
