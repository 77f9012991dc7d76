package org.blt4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.eval.Flops;
import org.blt4j.io.Checkpoint;
import org.blt4j.io.ModelDirs;
import org.blt4j.model.BltArgs;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.model.LmArgs;
import org.blt4j.model.ModelLoader;
import org.blt4j.nn.ParamStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** blt4j inspect: what a checkpoint holds. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a checkpoint's config, parameter counts per component and forward FLOPs per byte.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DIR", description = "checkpoint folder (config.json + model.safetensors)")
    Path dir;

    @Option(names = "--context", paramLabel = "BYTES", description = "context length for attention FLOPs (default: the config's max_seqlen)")
    Integer context;

    @Option(names = "--patch-size", paramLabel = "P", description = "average patch size for FLOPs (default: the config's patch_size)")
    Double patchSize;

    @Override
    public Integer call() {
        if (context != null && context < 1) throw new Blt4jException("--context must be >= 1 byte, got " + context);
        if (patchSize != null && !(patchSize >= 1 && patchSize <= 1e6))
            throw new Blt4jException("--patch-size must be a number of bytes in [1, 1e6], got " + patchSize);
        java.nio.file.Path given = dir;
        dir = ModelDirs.resolveModel(dir);
        JsonNode raw = ModelLoader.args(dir);        // hub, Hugging Face or reference layout
        String weights = ModelLoader.verify(dir);   // what is described must be loadable: throws otherwise (exit 2)
        if (!raw.has("dim_global") && patchSize != null) throw new Blt4jException("--patch-size is for a BLT; " + dir + " is not one");
        if (raw.has("dim_global")) inspectBlt(ModelLoader.args(dir, BltArgs.class));
        else inspectEntropyModel(ModelLoader.args(dir, LmArgs.class), org.blt4j.eval.LanguageModels.tokenizerTxt(given, dir));
        System.out.println(weights);
        return 0;
    }

    private void inspectBlt(BltArgs a) {
        System.out.println("ByteLatentTransformer  " + dir);
        System.out.printf("  local encoder  %d layers, dim %d, %d heads, window %s%n", a.nLayersLocalEncoder(), a.dimLocalEncoder(),
                a.nHeadsLocalEncoder(), window(a.localWindow()));
        System.out.printf("  global         %d layers, dim %d, %d heads (%d kv)%n", a.nLayersGlobal(), a.dimGlobal(), a.nHeadsGlobal(), a.nKvHeadsGlobal());
        System.out.printf("  local decoder  %d layers, dim %d, %d heads, window %s%n", a.nLayersLocalDecoder(), a.dimLocalDecoder(),
                a.nHeadsLocalDecoder(), window(a.localWindow()));
        System.out.printf("  cross-attn     k=%d, %d heads, pooling %s, all layers: encoder %s decoder %s%n", a.crossAttnK(),
                a.crossAttnNheads(), a.downsamplingByPooling().configName(), a.crossAttnAllLayersEncoder(), a.crossAttnAllLayersDecoder());
        System.out.printf("  hash n-grams   sizes %s, %d functions, vocab %d%n", a.encoderHashByteGroupSize(),
                a.encoderHashByteGroupNbFunctions(), a.encoderHashByteGroupVocab());
        System.out.printf("  patching       %s, threshold %s, patch_size %s%n", a.patchingMode(), a.patchingThreshold(), a.patchSize());

        Map<String, Long> counts = new LinkedHashMap<>();
        for (ParamStore.Spec s : ByteLatentTransformer.specs(a)) {
            String comp = s.name().substring(0, s.name().indexOf('.'));
            counts.merge(comp, s.numel(), Long::sum);
        }
        long hash = ByteLatentTransformer.hashTableSpecs(a).stream().mapToLong(ParamStore.Spec::numel).sum();
        long total = counts.values().stream().mapToLong(Long::longValue).sum();
        System.out.println("parameters");
        counts.forEach((k, v) -> System.out.printf("  %-20s %,15d%n", k, v));
        System.out.printf("  %-20s %,15d%n", "total (no hash)", total);
        System.out.printf("  %-20s %,15d  (%d tables)%n", "hash tables", hash, a.numHashTables());
        int ctx = context != null ? context : (a.maxSeqlen() != null ? a.maxSeqlen() : 1024);
        double ps = patchSize != null ? patchSize : a.patchSize();
        Flops.BltFlops f = Flops.bltPerByte(a, ctx, ps);
        System.out.printf("forward FLOPs per byte (context %d bytes, patch size %.2f)%n", ctx, ps);
        System.out.printf("  local encoder  %,14.0f%n  global         %,14.0f%n  local decoder  %,14.0f%n  total          %,14.0f%n",
                f.encoder(), f.global(), f.decoder(), f.total());
    }

    /** An entropy model, or a token LM when its run has a tokenizer.txt (its FLOPs are then per token). */
    private void inspectEntropyModel(LmArgs a, java.nio.file.Path tokenizerTxt) {
        String tokenizer = null;
        if (tokenizerTxt != null) {
            try {
                tokenizer = java.nio.file.Files.readString(tokenizerTxt).strip();
            } catch (java.io.IOException e) {
                tokenizer = "? (" + e.getMessage() + ")";
            }
        }
        boolean bytes = a.vocabSize() == org.blt4j.text.ByteTokenizer.VOCAB_SIZE;
        System.out.println((tokenizer != null ? "token LM (LMTransformer over BPE tokens, tokenizer " + tokenizer.lines().findFirst().orElse("")
                + ")  " : bytes ? "entropy model (LMTransformer)  " : "token LM without its tokenizer (LMTransformer, vocab_size "
                + a.vocabSize() + ", not the bytes' " + org.blt4j.text.ByteTokenizer.VOCAB_SIZE + "; its run folder keeps tokenizer.txt)  ") + dir);
        System.out.printf("  %d layers, dim %d, %d heads (%d kv), FFN %d, window %s, rope theta %s%n", a.nLayers(), a.dim(),
                a.nHeads(), a.nKvHeads(), a.ffnHidden(), window(a.window()), a.ropeTheta());
        List<ParamStore.Spec> specs = EntropyModel.specs(a);
        long emb = specs.stream().filter(s -> s.name().startsWith("tok_embeddings") || s.name().startsWith("output"))
                .mapToLong(ParamStore.Spec::numel).sum();
        long total = specs.stream().mapToLong(ParamStore.Spec::numel).sum();
        System.out.println("parameters");
        System.out.printf("  %-20s %,15d%n  %-20s %,15d%n  %-20s %,15d%n", "layers + norm", total - emb, "embedding + output", emb, "total", total);
        int ctx = context != null ? context : a.maxSeqlen();
        if (tokenizer == null && bytes) System.out.printf("forward FLOPs per byte (context %d): %,.0f%n", ctx, Flops.entropyModelPerByte(a, ctx));
        else System.out.printf("forward FLOPs per token (context %d tokens): %,.0f; per byte, divide by the bytes per token"
                + " (eval prints them)%n", ctx, Flops.entropyModelPerByte(a, ctx));
    }

    private static String window(int w) {
        return w == Integer.MAX_VALUE ? "none" : Integer.toString(w);
    }
}
