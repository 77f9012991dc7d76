package org.blt4j.token;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.junit.jupiter.api.Test;

/** The trainer on the whole SOTU corpus (10.8 MB): its speed, and compression on the held-out addresses. */
class SotuBpeTest {
    @Test
    void compressesHeldOutTextAtVocab4096() {
        List<byte[]> docs = Corpus.read(Path.of("..", "data", "sotu.txt.gz"));
        DataSplit split = DataSplit.split(docs, 0.1);
        long t0 = System.nanoTime();
        TiktokenRanks ranks = BpeTrainer.train(split.train(), 4096);
        double trainS = (System.nanoTime() - t0) / 1e9;
        assertEquals(4096, ranks.size());
        BpeTokenizer bpe = BpeTokenizer.of(ranks);
        long bytes = 0, tokens = 0;
        for (byte[] d : split.heldOut()) {
            int[] ids = bpe.encode(d);
            assertArrayEquals(d, bpe.decode(ids));
            bytes += d.length;
            tokens += ids.length;
        }
        double bpt = (double) bytes / tokens;
        System.out.printf("BPE 4096 on SOTU: trained on %,d bytes in %.1f s; held-out %,d bytes → %,d tokens, %.3f bytes"
                + "/token%n", Corpus.totalBytes(split.train()), trainS, bytes, tokens, bpt);
        assertTrue(bpt > 2, "bytes per token " + bpt);
        assertTrue(trainS < 60, "training took " + trainS + " s");
    }
}
