package org.blt4j.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.blt4j.Blt4jException;
import org.blt4j.generate.CachedGenerator;
import org.blt4j.generate.Sampler;
import org.blt4j.model.ByteLatentTransformer;
import org.blt4j.model.EntropyModel;
import org.blt4j.patch.Patcher;
import org.blt4j.text.ByteTokenizer;
import org.blt4j.text.Utf8StreamDecoder;
import org.blt4j.train.BltTask;
import org.blt4j.train.EntropyTask;
import org.blt4j.data.Gzip;
import org.blt4j.train.TrainConfig;
import org.blt4j.train.Trainer;
import org.blt4j.train.Training;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j demo: the whole pipeline on the bundled corpus, in a few minutes on a laptop. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Train an entropy model, then a BLT, on the bundled State of the Union sample; compare with gzip; "
                + "show patches; generate.")
final class DemoCommand implements Callable<Integer> {
    @Option(names = "--out", defaultValue = "runs/demo", paramLabel = "DIR", description = "where runs and plots go (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--entropy-minutes", defaultValue = "2.5", description = "training time of the entropy model (default: ${DEFAULT-VALUE})")
    double entropyMinutes;

    @Option(names = "--blt-minutes", defaultValue = "4", description = "training time of the BLT (default: ${DEFAULT-VALUE})")
    double bltMinutes;

    @Option(names = "--prompt", defaultValue = "The state of our Union is", description = "prompt of the generated sample")
    String prompt;

    /** the longest a demo stage may be asked to train */
    static final double MAX_MINUTES = 7 * 24 * 60;

    @Override
    public Integer call() throws Exception {
        if (!(entropyMinutes > 0 && entropyMinutes <= MAX_MINUTES) || !(bltMinutes > 0 && bltMinutes <= MAX_MINUTES))
            throw new Blt4jException("--entropy-minutes and --blt-minutes must be in (0, " + MAX_MINUTES + "] (a week), got "
                    + entropyMinutes + " and " + bltMinutes);
        if (Files.exists(out) && !Files.isDirectory(out))
            throw new Blt4jException("--out " + out + " is a file: give a folder (it is created if missing)");
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        org.blt4j.run.RunFiles.Lock held;
        try {   // a second demo on the same --out deleted the running one's runs and trained beside it
            held = org.blt4j.run.RunFiles.lock(out);
        } catch (Blt4jException e) {
            throw new Blt4jException("--out " + out + " is in use by another demo (it holds " + out.resolve(".lock")
                    + "): wait for it to end or give another --out");
        }
        try (held) {
            return demo(t0);
        }
    }

    /** The five steps, with --out locked for this process. */
    private int demo(long t0) throws Exception {
        replacePreviousRun(out);
        Path data = out.resolve(Bundled.CORPUS);
        Bundled.copyCorpus(data);
        say("1/5  data: the last 23 State of the Union addresses (1999-2021, CC0), bundled; copied to " + data);

        TrainConfig eCfg = config("entropy-demo.yaml", data, out.resolve("entropy"), entropyMinutes, null);
        Training.Streams s = Training.streams(eCfg);
        double gzip = Gzip.bitsPerByte(TrainCommand.concat(s.heldOutDocs()));
        say(String.format("     %,d bytes to train on, %,d held out (the last 10%%); gzip -9 on the held-out bytes: %.3f bits per byte",
                s.trainBytes(), s.heldOutBytes(), gzip));

        say(String.format("2/5  training the entropy model (a small byte-level transformer) for %.1f minutes", entropyMinutes));
        EntropyTask eTask = Training.entropyTask(eCfg, s);
        Trainer.Result e = new Trainer(eTask, eCfg, out.resolve("entropy"), System.out)
                .reference(gzip, String.format("gzip -9 %.3f", gzip)).run(null);

        TrainConfig bCfg = config("blt-demo.yaml", data, out.resolve("blt"), bltMinutes, out.resolve("entropy").toString());
        // at most BLT_EPOCHS passes over the sample: beyond them the BLT overfits it (5 passes: held-out 2.29 bpb while
        // the training batches were at 1.31), which a fast machine reaches within the time budget
        long cap = (long) Math.ceil(BLT_EPOCHS * s.trainBytes() / ((double) bCfg.data().batchSize() * bCfg.data().seqLen()));
        bCfg = Bundled.config("blt-demo.yaml", List.of("data.path=" + data, "train.out=" + out.resolve("blt"),
                "train.minutes=" + bltMinutes, "train.steps=" + cap, "train.eval_every=1000000",
                "train.checkpoint_every=1000000", "data.entropy_model=" + out.resolve("entropy")));
        say(String.format("3/5  training the BLT, patched by that entropy model, for %.1f minutes or %d passes over the"
                + " sample (%,d steps), whichever comes first", bltMinutes, BLT_EPOCHS, cap));
        BltTask bTask = Training.bltTask(bCfg, s, m -> say("     " + m));
        Trainer.Result b = new Trainer(bTask, bCfg, out.resolve("blt"), System.out)
                .reference(gzip, String.format("gzip -9 %.3f", gzip)).run(null);

        say("4/5  results on the held-out bytes");
        say(String.format("     gzip -9          %.3f bits per byte", gzip));
        say(String.format("     entropy model    %.3f bits per byte  (%d steps, %,.0f bytes/s)", e.heldOutBpb(), e.steps(), e.bytesPerSecond()));
        say(String.format("     BLT              %.3f bits per byte  (%d steps, %,.0f bytes/s, %.2f bytes per patch)",
                b.heldOutBpb(), b.steps(), b.bytesPerSecond(), b.avgPatchLength()));
        say("     plots: " + out.resolve("entropy/bpb.svg") + ", " + out.resolve("blt/bpb.svg"));

        EntropyModel em = eTask.model();
        ByteLatentTransformer blt = bTask.model();
        Patcher patcher = blt.args().patcherArgs().build();
        byte[] para = paragraph(s.heldOutDocs());
        int[] ids = ByteTokenizer.encode(para, true, false);
        say("5/5  how a held-out paragraph is patched (| marks a patch boundary; a patch starts where the entropy model is unsure):");
        PatchCommand.printMarked(ids, patcher.patchLengths(ids, em.entropies(ids), false));

        say("     a sample from the BLT (temperature 0.8, top-p 0.9, seed 1), prompt \"" + prompt + "\":");
        CachedGenerator gen = new CachedGenerator(blt, em, patcher);
        Utf8StreamDecoder utf8 = new Utf8StreamDecoder();
        System.out.print("     " + prompt);
        gen.generate(ByteTokenizer.encode(prompt, true, false), 240, Sampler.of(0.8, 0, 0.9, 1), true, (id, step) -> {
            System.out.print(utf8.pushId(id).replace("\n", "\n     "));
            System.out.flush();
            return true;
        });
        System.out.println(utf8.flush());
        say(String.format("done in %.1f minutes. Models: %s, %s (hub layout; try ./blt4j patch --entropy-model %s \"some text\")",
                (System.nanoTime() - t0) / 60e9, out.resolve("entropy"), out.resolve("blt"), out.resolve("entropy")));
        return 0;
    }

    private static void say(String s) {
        System.out.println(s);
    }

    /** Passes over the demo's sample after which the BLT stops, even with time left. */
    static final int BLT_EPOCHS = 3;

    /** A bundled config with the demo's data, run folder and time budget. */
    /**
     * The demo starts from scratch every time: a previous demo's runs (OUT/entropy, OUT/blt) are deleted first, and
     * said so; training refuses to start a new run in a folder that holds one.
     */
    static void replacePreviousRun(Path out) throws IOException {
        boolean said = false;
        for (String run : List.of("entropy", "blt")) {
            Path dir = out.resolve(run);
            if (!Files.exists(dir)) continue;
            if (!said) say("     replacing the previous demo run in " + out);
            said = true;
            org.blt4j.io.AtomicFiles.deleteTree(dir);
        }
    }

    private static TrainConfig config(String name, Path data, Path runDir, double minutes, String entropyModel) throws IOException {
        List<String> o = new java.util.ArrayList<>(List.of("data.path=" + data, "train.out=" + runDir, "train.minutes=" + minutes,
                "train.steps=null", "train.eval_every=1000000", "train.checkpoint_every=1000000"));
        if (entropyModel != null) o.add("data.entropy_model=" + entropyModel);
        return Bundled.config(name, o);
    }

    /** The first ~300 bytes of the held-out text, cut at a sentence end. */
    private static byte[] paragraph(List<byte[]> docs) {
        byte[] d = docs.get(docs.size() - 1);
        String text = new String(d, StandardCharsets.UTF_8);
        int start = Math.max(0, text.indexOf(". ", text.length() / 3) + 2);
        int end = text.indexOf(". ", start + 200);
        String p = text.substring(start, end < 0 ? Math.min(text.length(), start + 300) : end + 1);
        return p.getBytes(StandardCharsets.UTF_8);
    }
}
