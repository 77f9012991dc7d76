package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad study configs and corpora get one line, before any model is trained. */
class StudyConfigErrorsTest {
    @TempDir
    Path tmp;

    private CliErrorsTest.Run study(String from, String to, String data) throws IOException {
        Path cfg = tmp.resolve("study.yaml");
        String text = Files.readString(Path.of("../studies/quick.yaml"));
        if (!text.contains(from)) throw new AssertionError("quick.yaml lacks " + from);
        Files.writeString(cfg, text.replace(from, to));
        return CliErrorsTest.run("study", "--config", cfg.toString(), "--data", data, "--out", tmp.resolve("out").toString());
    }

    private void assertNothingTrained() {
        assertFalse(Files.exists(tmp.resolve("out/entropy")), "an entropy model was trained");
        assertFalse(Files.exists(tmp.resolve("out/xs")), "an arm was trained");
        assertFalse(Files.exists(tmp.resolve("out/study.json")), "a refused config claimed the folder");
    }

    @Test
    void aRefusedStudyLeavesNoFolderBehind() throws IOException {
        CliErrorsTest.assertClear(study("seed: 42", "seed: 42", tmp.resolve("missing.txt").toString()), "does not exist");
        assertFalse(Files.exists(tmp.resolve("out")), "the folder the refused study made is left behind");
    }

    @Test
    void anUnknownArmType() throws IOException {
        CliErrorsTest.assertClear(study("arms: [bpe,", "arms: [bpe, blt-magic,", "../data/sotu-sample.txt.gz"),
                "unknown arm type 'blt-magic'", "blt-entropy-P");
        assertNothingTrained();
    }

    @Test
    void aBudgetSmallerThanOneStep() throws IOException {
        CliErrorsTest.assertClear(study("budget_flops: 1.5e9", "budget_flops: 1.0e3", "../data/sotu-sample.txt.gz"),
                "less than one step", "raise budget_flops");
        assertNothingTrained();
        CliErrorsTest.assertClear(study("budget_flops: 1.5e9", "budget_flops: 1.0e30", "../data/sotu-sample.txt.gz"),
                "more than a run can take");
        assertNothingTrained();
    }

    @Test
    void aCorpusTooSmallForTheHeldOutSplit() throws IOException {
        Path small = tmp.resolve("small.txt");
        Files.writeString(small, "A short corpus. It has two sentences.\n\nAnd a second document.\n".repeat(40));
        CliErrorsTest.assertClear(study("seed: 42", "seed: 42", small.toString()), "too small", "held-out");
        assertNothingTrained();
    }

    @Test
    void aCorpusTooSmallForTheItems() throws IOException {
        CliErrorsTest.assertClear(study("items: 24", "items: 100000", "../data/sotu-sample.txt.gz"),
                "four-way items", "fewer than noise.items = 100000");
        assertNothingTrained();
    }

    @Test
    void aSecondStudyInTheSameFolderIsRefusedWhileTheFirstRuns() throws IOException {
        Files.createDirectories(tmp.resolve("out"));
        try (var ch = java.nio.channels.FileChannel.open(tmp.resolve("out/.lock"), java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.WRITE); var held = ch.lock()) {
            CliErrorsTest.assertClear(study("seed: 42", "seed: 42", "../data/sotu-sample.txt.gz"), "another study is running");
        }
        assertNothingTrained();
    }

    @Test
    void anUnknownKeyAndAReferenceThatIsNotAnEntropyArm() throws IOException {
        CliErrorsTest.assertClear(study("decay_fraction:", "decay_fractoin:", "../data/sotu-sample.txt.gz"), "unknown key 'decay_fractoin'");
        CliErrorsTest.assertClear(study("reference: blt-entropy-4.5", "reference: bpe", "../data/sotu-sample.txt.gz"),
                "must be one of the arms and an entropy-patched BLT");
        assertNothingTrained();
    }
}
