package org.blt4j.cli;

import java.io.PrintWriter;
import org.blt4j.Blt4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The blt4j command line. */
@Command(name = "blt4j", mixinStandardHelpOptions = true, version = "blt4j 0.1.0",
        description = "The Byte Latent Transformer on the JVM.",
        subcommands = {PatchCommand.class, InspectCommand.class, ConvertCommand.class, QuantizeCommand.class, ForwardCommand.class, TrainCommand.Entropy.class,
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
        try {
            System.exit(commandLine().execute(args));
        } catch (OutOfMemoryError oom) {   // a size no check foresaw (picocli passes Errors through): one line, what to change
            System.err.printf("blt4j: out of memory (%s; max heap %,d MB): lower the sizes the command was given (--seq-len,"
                    + " --max-bytes, batch sizes), or give the JVM more heap with BLT4J_JAVA_OPTS=-Xmx...%n",
                    oom.getMessage(), Runtime.getRuntime().maxMemory() >> 20);
            System.exit(3);
        }
    }

    /**
     * blt4j spark: the blt4j-spark module's commands when it is on the class path (./blt4j puts it there for
     * {@code spark}), else a command that says how to get them.
     */
    static Object sparkCommand() {
        try {
            return Class.forName("org.blt4j.spark.SparkCommand").getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            return new SparkMissing();
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create the spark command", e);
        }
    }

    @Command(name = "spark", description = "Spark jobs (needs the blt4j-spark module: run through ./blt4j).")
    static final class SparkMissing implements Runnable {
        @CommandLine.Unmatched
        java.util.List<String> args;

        @Override
        public void run() {
            throw new Blt4jException("the spark commands need the blt4j-spark module on the class path: run ./blt4j spark ... from the"
                    + " repository (it builds the module and adds Spark), or spark-submit blt4j-spark/target/blt4j-spark-job.jar");
        }
    }

    /** The configured command line: library errors print one clear line instead of a stack trace. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        cl.addSubcommand(sparkCommand());
        // an empty path ("--out=", "--data $UNSET") is refused: as "." it wrote a run or a report into the current folder
        cl.registerConverter(java.nio.file.Path.class, s -> {
            if (s.isEmpty()) throw new CommandLine.TypeConversionException("an empty path: give a file or folder name");
            return java.nio.file.Path.of(s);
        });
        // a flag that does not parse: one line naming it (picocli's default added the whole usage, dozens of lines)
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("blt4j: " + ex.getMessage().strip() + " (" + cmd.getCommandSpec().qualifiedName() + " --help lists the options)");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
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
