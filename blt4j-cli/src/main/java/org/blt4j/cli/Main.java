package org.blt4j.cli;

import java.io.PrintWriter;
import org.blt4j.Blt4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The blt4j command line. */
@Command(name = "blt4j", mixinStandardHelpOptions = true, version = "blt4j 0.1.0",
        description = "The Byte Latent Transformer on the JVM.",
        subcommands = {PatchCommand.class, InspectCommand.class, ForwardCommand.class, TrainCommand.Entropy.class,
                TrainCommand.Blt.class, TrainCommand.Token.class, TrainDiLoCoCommand.class, EvalCommand.class, EvalNoiseCommand.class, DemoCommand.class, GenerateCommand.class, ServeCommand.class,
                BenchCommand.class, PlotCommand.class, BpeTrainCommand.class, StudyCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line: library errors print one clear line instead of a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (ex instanceof Blt4jException) {
                err.println("blt4j: " + ex.getMessage());
                return 2;
            }
            if (ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                err.println("blt4j: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }
}
