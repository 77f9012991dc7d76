package org.blt4j.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.blt4j.cli.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The spark commands' help texts render as written: picocli passes every description line through String.format,
 * and spark bench's "within 3% of" made it print "[picocli WARN] Could not format" on every --help.
 * (blt4j-cli's HelpTextTest checks the other commands the same way.)
 */
class SparkHelpTextTest {
    @Test
    void sparkHelpTextsRenderWithoutPicocliWarnings() {
        PrintStream old = System.err;   // picocli's tracer prints to System.err as it is at each call
        var buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        CommandLine spark;
        try {
            spark = Main.commandLine().getSubcommands().get("spark");
            spark.getUsageMessage(CommandLine.Help.Ansi.OFF);
            for (CommandLine sub : spark.getSubcommands().values()) sub.getUsageMessage(CommandLine.Help.Ansi.OFF);
        } finally {
            System.setErr(old);
        }
        assertTrue(spark.getCommandSpec().userObject() instanceof SparkCommand);
        assertEquals("", buf.toString(StandardCharsets.UTF_8));
    }
}
