package org.blt4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The blt4j command line. */
@Command(name = "blt4j", mixinStandardHelpOptions = true, version = "blt4j 0.1.0",
        description = "The Byte Latent Transformer on the JVM.",
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }
}
