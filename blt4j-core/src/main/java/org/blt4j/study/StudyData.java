package org.blt4j.study;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.blt4j.data.TokenIdStream;
import org.blt4j.eval.noise.FourWayItems;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.blt4j.token.TiktokenRanks;
import org.blt4j.train.Training;

/**
 * A study's data: the corpus split (the last heldout_fraction of its bytes held out), the training documents in one
 * seeded order that every arm reads from the start (so all arms see the same bytes in the same order), and the bpe
 * arm's tokenizer, trained on the training split.
 *
 * @param split     train (in the study's order) and held-out documents
 * @param streams   both encoded BOS + bytes + EOS
 * @param bpeFile   the trained BPE's ranks file (OUT/bpe.tiktoken)
 * @param tokenizer the BPE
 * @param bytesPerToken training bytes per token id of the bpe arm's stream (BOS/EOS included as positions)
 */
public record StudyData(DataSplit split, Training.Streams streams, Path bpeFile, BpeTokenizer tokenizer, double bytesPerToken) {

    /** The smallest held-out split a study accepts, in bytes. */
    static final long MIN_HELDOUT_BYTES = 4096;

    /** The whole documents at the start of a file that fit in maxBytes (at least one). */
    private static List<byte[]> prefix(Path file, long maxBytes) {
        List<byte[]> all = Corpus.readPrefix(file, maxBytes), docs = new ArrayList<>();
        long total = 0;
        for (byte[] d : all) {
            if (!docs.isEmpty() && total + d.length > maxBytes) break;
            docs.add(d);
            total += d.length;
        }
        return docs;
    }

    /**
     * Reads and checks the corpus; trains the BPE, or reloads it when the folder is this study's already (claimed).
     * Fails with one line before any model is trained.
     */
    static StudyData prepare(StudyConfig cfg, Path out, boolean claimed, Consumer<String> log) {
        Path file = Path.of(cfg.data().path());
        if (!Files.isRegularFile(file)) throw new Blt4jException("study: data file " + file + " does not exist (pass --data FILE)");
        List<byte[]> docs = cfg.data().maxBytes() == null ? Corpus.read(file) : prefix(file, cfg.data().maxBytes());
        DataSplit split = DataSplit.split(docs, cfg.data().heldoutFraction());
        long held = split.heldOutBytes(), train = split.trainBytes();
        if (held < MIN_HELDOUT_BYTES || train < MIN_HELDOUT_BYTES)
            throw new Blt4jException(String.format("study: corpus %s is too small: %,d training and %,d held-out bytes"
                    + " (heldout_fraction %.2f); each split needs at least %,d bytes", file, train, held,
                    cfg.data().heldoutFraction(), MIN_HELDOUT_BYTES));
        int items = cfg.noise().items();
        int available = FourWayItems.available(split.heldOut());
        if (available < items)
            throw new Blt4jException(String.format("study: the held-out split of %s (%,d bytes) gives %d four-way items,"
                    + " fewer than noise.items = %d: use a larger corpus or fewer items", file, held, available, items));

        List<byte[]> order = new ArrayList<>(split.train());
        Collections.shuffle(order, new Random(cfg.seed()));      // one order for every arm
        DataSplit ordered = new DataSplit(order, split.heldOut());
        Training.Streams streams = Training.streams(ordered);

        Path bpeFile = out.resolve("bpe.tiktoken");
        TiktokenRanks ranks;
        if (claimed && Files.isRegularFile(bpeFile)) {     // an unclaimed folder's file may be of a config that was refused
            ranks = TiktokenRanks.read(bpeFile);
        } else {
            long t0 = System.nanoTime();
            ranks = BpeTrainer.train(split.train(), cfg.bpeVocab());
            ranks.write(bpeFile);
            log.accept(String.format("bpe: %d tokens trained on the training split in %.1f s -> %s", ranks.size(),
                    (System.nanoTime() - t0) / 1e9, bpeFile));
        }
        BpeTokenizer tok = BpeTokenizer.of(ranks);
        TokenIdStream.Stream ts = TokenIdStream.encode(order, tok);
        double bpt = ts.bytes() / (double) ts.ids().length;
        log.accept(String.format("data: %s: %,d training bytes, %,d held-out bytes; bpe: %.3f bytes per token", file, train, held, bpt));
        return new StudyData(ordered, streams, bpeFile, tok, bpt);
    }
}
