package org.blt4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.data.Corpus;
import org.blt4j.data.DataSplit;
import org.blt4j.token.BpeTokenizer;
import org.blt4j.token.BpeTrainer;
import org.blt4j.token.TiktokenRanks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j bpe-train: a byte-level BPE vocabulary learned from a corpus's training split, saved as a tiktoken file. */
@Command(name = "bpe-train", mixinStandardHelpOptions = true, description = "Train a byte-level BPE tokenizer on the "
        + "training split of a corpus; write its tiktoken ranks file and report bytes per token on the held-out split.")
final class BpeTrainCommand implements Callable<Integer> {
    @Option(names = "--data", required = true, paramLabel = "FILE", description = "corpus (text, .gz allowed)")
    Path data;

    @Option(names = "--vocab", defaultValue = "4096", paramLabel = "N", description = "vocabulary size, at least 256 "
            + "(default: ${DEFAULT-VALUE})")
    int vocab;

    @Option(names = "--heldout-fraction", defaultValue = "0.1", description = "last fraction of the bytes held out "
            + "(default: ${DEFAULT-VALUE})")
    double heldOutFraction;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "tiktoken ranks file to write")
    Path out;

    @Override
    public Integer call() {
        if (vocab < 256) throw new Blt4jException("--vocab must be at least 256 (the bytes), got " + vocab);
        if (java.nio.file.Files.exists(out)) {   // checked before the training: never the corpus, never another file
            boolean same;
            try {
                same = java.nio.file.Files.exists(data) && java.nio.file.Files.isSameFile(out, data);
            } catch (java.io.IOException e) {
                same = false;
            }
            throw new Blt4jException("--out " + out + (same ? " is the corpus (--data)" : " exists") + ": give a new file name");
        }
        if (out.toAbsolutePath().getParent() != null && !java.nio.file.Files.isDirectory(out.toAbsolutePath().getParent()))
            throw new Blt4jException("--out " + out + ": its folder " + out.toAbsolutePath().getParent() + " does not exist");
        DataSplit split = DataSplit.split(Corpus.read(data), heldOutFraction);
        long t0 = System.nanoTime();
        TiktokenRanks ranks = BpeTrainer.train(split.train(), vocab);
        double s = (System.nanoTime() - t0) / 1e9;
        ranks.write(out, false);   // never over a file that appeared meanwhile (two bpe-train with one --out: one was lost)
        System.out.printf("trained %,d tokens on %,d bytes in %.1f s; wrote %s%n", ranks.size(),
                Corpus.totalBytes(split.train()), s, out);
        if (!split.heldOut().isEmpty()) {
            BpeTokenizer bpe = BpeTokenizer.of(ranks);
            long bytes = 0, tokens = 0;
            for (byte[] d : split.heldOut()) {
                bytes += d.length;
                tokens += bpe.encode(d).length;
            }
            System.out.printf("held-out: %,d bytes, %,d tokens, %.3f bytes/token%n", bytes, tokens,
                    (double) bytes / Math.max(1, tokens));
        }
        return 0;
    }
}
