package org.blt4j.cli;

import java.nio.file.Path;
import org.blt4j.Blt4jException;
import java.util.concurrent.Callable;
import org.blt4j.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** blt4j plot: redraws a run's bits-per-byte plot from its metrics.jsonl. */
@Command(name = "plot", mixinStandardHelpOptions = true, description = "Write RUN/bpb.svg (train and held-out bits per byte) from RUN/metrics.jsonl.")
final class PlotCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "run folder (holds metrics.jsonl)")
    Path run;

    @Option(names = "--title", defaultValue = "bits per byte", description = "plot title (default: ${DEFAULT-VALUE})")
    String title;

    @Option(names = "--reference", paramLabel = "BPB", description = "draw a horizontal line at this bpb (e.g. gzip's)")
    Double reference;

    @Option(names = "--label", defaultValue = "gzip -9", description = "label of the reference line (default: ${DEFAULT-VALUE})")
    String label;

    @Override
    public Integer call() {
        if (!java.nio.file.Files.isDirectory(run))
            throw new Blt4jException(run + (java.nio.file.Files.exists(run) ? " is a file" : " does not exist")
                    + ": give the run folder that holds metrics.jsonl");
        if (java.nio.file.Files.isDirectory(run.resolve(org.blt4j.run.MetricsLog.FILE)))
            throw new Blt4jException(run.resolve(org.blt4j.run.MetricsLog.FILE) + " is a folder, not a metrics file");
        if (reference != null && !Double.isFinite(reference))
            throw new Blt4jException("--reference " + reference + " is not a finite number of bits per byte");
        Path file = Trainer.plot(run, title, reference == null ? Double.NaN : reference,
                reference == null ? null : String.format("%s %.3f", label, reference));
        System.out.println("wrote " + file);
        return 0;
    }
}
