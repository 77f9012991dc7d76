package org.blt4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.blt4j.study.Study;
import org.blt4j.study.StudyConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** blt4j study: BLT against BPE tokens (and bytes, space and static patches) at matched FLOPs; resumable; a report. */
@Command(name = "study", mixinStandardHelpOptions = true, description = "Train a study's arms on one corpus to matched"
        + " training-FLOP budgets at several sizes, score them, evaluate noise robustness and write a report (report.md,"
        + " SVG plots, metrics). Running it again resumes: finished parts are skipped, an interrupted run continues exactly.")
final class StudyCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, paramLabel = "FILE", description = "study config (studies/*.yaml)")
    Path config;

    @Option(names = "--data", paramLabel = "FILE", description = "run the same study on this corpus instead of the config's"
            + " (its run folder becomes OUT-<file name> unless --out is given, and its report goes there)")
    Path data;

    @Option(names = "--out", paramLabel = "DIR", description = "run folder (default: the config's out)")
    Path out;

    @Option(names = "--report", paramLabel = "DIR", description = "report folder (default: the config's report, else OUT/report)")
    Path report;

    @Option(names = "--notes", paramLabel = "FILE", description = "a hand-written reading (markdown) included in the report")
    Path notes;

    @Override
    public Integer call() {
        StudyConfig cfg = StudyConfig.load(config);
        Path o = out;
        if (data != null && o == null) o = Path.of(cfg.out() + "-" + data.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_"));
        cfg = cfg.withData(data, o, report);
        StringBuilder cmd = new StringBuilder("./blt4j study --config ").append(config);
        if (data != null) cmd.append(" --data ").append(data);
        if (out != null) cmd.append(" --out ").append(out);
        if (report != null) cmd.append(" --report ").append(report);
        if (notes != null) cmd.append(" --notes ").append(notes);
        Study.run(cfg, cmd.toString(), notes, System.out);
        return 0;
    }
}
