package org.blt4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.generate.LoadedModels;
import org.blt4j.eval.BitsPerByte;
import org.blt4j.eval.Flops;
import org.blt4j.eval.LanguageModel;
import org.blt4j.eval.LanguageModels;
import org.blt4j.data.TokenIdStream;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.ModelLoader;
import org.blt4j.tensor.Parallel;
import org.blt4j.data.BltPacker;
import org.blt4j.model.ChunkedEntropies;
import org.blt4j.data.Corpus;
import org.blt4j.data.EntropyCache;
import org.blt4j.data.Gzip;
import org.blt4j.data.TokenStream;
import org.blt4j.run.TrainCheckpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j eval: bits per byte of a model on a text file. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Bits per byte of a model (BLT, entropy/byte model or token LM) on a file, with the average patch length and FLOPs per byte.")
final class EvalCommand implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "BLT, entropy model or token LM checkpoint (or a run folder)")
    Path model;

    @Option(names = "--entropy-model", paramLabel = "DIR", description = "entropy model that patches the BLT (default: as for"
            + " generate: the patcher of a Hugging Face folder, else the entropy model its training run recorded, else entropy_model"
            + " or entropy in or beside the --model folder)")
    Path entropyModel;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = ".txt, .gz or .jsonl file")
    Path data;

    @Option(names = "--max-bytes", defaultValue = "1000000", description = "bytes to evaluate: whole rows from the start"
            + " of the file are scored until they hold at least this many, or the file ends (default: ${DEFAULT-VALUE})")
    long maxBytes;

    @Option(names = "--seq-len", defaultValue = "1024", description = "at most this many bytes per evaluated row (a BLT"
            + " row also holds at most seq-len / patch_size patches, and a BLT's rows at most its max_encoder_seq_length, a byte"
            + " LM's at most its max_seqlen); tokens for a"
            + " token LM, at most its max_seqlen (default: ${DEFAULT-VALUE})")
    int seqLen;

    @Override
    public Integer call() {
        if (maxBytes < 1) throw new Blt4jException("--max-bytes must be >= 1");
        if (seqLen < 2) throw new Blt4jException("--seq-len must be >= 2");
        Path dir = ModelDirs.resolveModel(model);
        // only the start of the file is evaluated: read the documents that cover it (rows of seqLen + 1 ids); a
        // document running past that is cut well after the last scored byte
        var docs = Corpus.readStart(data, maxBytes > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : maxBytes + 2L * seqLen + 2); // no wrap
        int[] ids = TokenStream.encode(docs);
        long t0 = System.nanoTime();
        if (ModelLoader.isBlt(dir)) {
            if (entropyModel == null) entropyModel = LoadedModels.entropyModelFor(model);
            ByteLatentTransformer blt = ModelLoader.blt(dir, true);
            EntropyModel em = ModelLoader.patcherModel(ModelDirs.resolveModel(entropyModel));
            float[] H = EntropyCache.entropies(em, ids, data, null, ChunkedEntropies.Chunking.exact(em.args(), Parallel.poolSize()),
                    (d, t) -> {}, s -> System.err.println(s)).entropies();
            // a row holds seq-len / patch_size patches, or the whole text when it has fewer (a short text is one row)
            int[] lengths = BltPacker.patchLengths(ids, H, blt.args().patcherArgs());
            // never longer than the text (2^31 asked for an array that long), nor than the model's context, as for a byte LM
            // (--seq-len 1000000 scored the whole file as one row, for hours, past what the model attends to)
            int rowBytes = Math.min(Math.min(seqLen, org.blt4j.generate.PromptContext.of(blt.args())), ids.length);
            int patches = (int) Math.min(Math.ceil(rowBytes / blt.args().patchSize()), lengths.length);
            if (patches < 2)
                throw new Blt4jException("a BLT row needs at least 2 patches: " + (seqLen < 2 * blt.args().patchSize()
                        ? "give --seq-len >= " + (int) Math.ceil(2 * blt.args().patchSize()) + " (patch_size " + blt.args().patchSize() + ")"
                        : "the text at " + data + " makes fewer; give a longer text"));
            BltPacker packer = BltPacker.of(ids, lengths, new BltPacker.Config(1, patches, rowBytes, false, null));
            BitsPerByte.Eval e = BitsPerByte.blt(blt, packer, maxBytes);
            double ps = blt.args().patchSize(), avg = e.avgPatchLength();
            if (blt.args().patcherArgs().mode() == org.blt4j.patch.PatchingMode.ENTROPY && (avg > 2 * ps || avg < ps / 2))
                System.err.printf("warning: the patches average %.2f bytes where the BLT's config says patch_size %.1f: is %s the"
                        + " entropy model it was trained with? (its threshold is an absolute entropy)%n", avg, ps, entropyModel);
            Flops.BltCost c = Flops.bltCost(blt.args(), em.args(), rowBytes, e.avgPatchLength());
            Flops.BltFlops f = c.blt();
            print(e, docs);
            System.out.printf("average patch length %.2f bytes; forward FLOPs per byte %,.0f (encoder %,.0f, global %,.0f, decoder %,.0f)"
                    + " + entropy model %,.0f (docs/flops.md)%n",
                    e.avgPatchLength(), f.total(), f.encoder(), f.global(), f.decoder(), c.entropyModel());
        } else if (LanguageModels.load(model, null) instanceof LanguageModel.Tokens tl) {
            // a token LM (RUN/tokenizer.txt): rows of tokens, at most the model's own context
            int rowTokens = Math.min(seqLen, Math.max(2, tl.model().args().maxSeqlen()));
            TokenIdStream.Stream stream = TokenIdStream.encode(docs, tl.tokenizer());
            BitsPerByte.Eval e = BitsPerByte.tokenLm(tl.model(), stream, rowTokens, maxBytes);
            long tokens = stream.ids().length - 2L * docs.size();          // BOS and EOS of every document apart
            double bytesPerToken = stream.bytes() / (double) Math.max(1, tokens);
            print(e, docs);
            System.out.printf("tokenizer %s: %.3f bytes per token; forward FLOPs per byte %,.0f (rows of %d tokens; docs/flops.md)%n",
                    tl.tokenizer(), bytesPerToken, Flops.tokenLm(tl.model().args(), rowTokens, bytesPerToken).perByte(), rowTokens);
        } else {                                                       // a byte LM (loaded again: small)
            EntropyModel em = ModelLoader.entropyModel(dir);
            seqLen = Math.min(seqLen, Math.max(2, em.args().maxSeqlen()));   // its own context, as for a token LM
            BitsPerByte.Eval e = BitsPerByte.entropyModel(em, ids, seqLen, maxBytes);
            print(e, docs);
            System.out.printf("forward FLOPs per byte %,.0f (rows of %d bytes)%n", Flops.entropyModelPerByte(em.args(), seqLen), seqLen);
        }
        System.out.printf("(%.1f s)%n", (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    private static void print(BitsPerByte.Eval e, java.util.List<byte[]> docs) {
        if (!Double.isFinite(e.bpb()))
            throw new Blt4jException("the model gives " + e.bpb() + " bits per byte: its outputs are not finite (broken weights,"
                    + " or a config whose norm_eps, rope_theta or values overflow the forward pass)");
        byte[] read = TrainCommand.concat(docs);
        byte[] same = java.util.Arrays.copyOf(read, (int) Math.min(read.length, e.bytes()));   // the rows cover the text from its start
        System.out.printf("%,d bytes: %.4f bits per byte (gzip -9 on the same first %,d bytes: %.4f)%n", e.bytes(), e.bpb(),
                same.length, Gzip.bitsPerByte(same));
    }
}
