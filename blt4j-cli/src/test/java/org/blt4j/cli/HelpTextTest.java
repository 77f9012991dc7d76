package org.blt4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Every command's help text renders as written: picocli passes each description line through String.format, and a
 * lone '%' (as in "within 3% of") made it print a "[picocli WARN] Could not format" line three times per --help; and a
 * parent's command list shows only the first line of a subcommand's description, so that line must be a whole
 * sentence (it showed "...streaming with "stream": true)," and "...send a mix of").
 */
class HelpTextTest {
    /** What is wrong with the help texts of blt4j's commands, one line each (empty: nothing). */
    static List<String> problems() {
        List<String> out = new ArrayList<>();
        CommandLine[] cl = new CommandLine[1];
        String warnings = picocliWarnings(() -> {   // picocli warns while building the command line and while rendering
            cl[0] = Main.commandLine();
            walk(cl[0], new ArrayList<>());
        });
        if (!warnings.isEmpty()) out.add("picocli: " + warnings.lines().findFirst().orElseThrow());
        walk(cl[0], out);
        return out;
    }

    private static void walk(CommandLine cl, List<String> out) {
        CommandSpec spec = cl.getCommandSpec();
        cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String[] desc = spec.usageMessage().description();
        if (spec.parent() != null && desc.length > 0 && !desc[0].strip().endsWith("."))
            out.add(spec.qualifiedName() + ": the first description line (all its parent's command list shows) is cut: " + desc[0]);
        for (CommandLine sub : cl.getSubcommands().values())
            if (sub.getCommandSpec().parent() == spec && !"help".equals(sub.getCommandName())) walk(sub, out);
    }

    /** What picocli's tracer printed while {@code r} ran (its tracer prints to System.err as it is at each call). */
    static String picocliWarnings(Runnable r) {
        PrintStream old = System.err;
        var buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyHelpTextRendersAsWritten() {
        assertEquals(List.of(), problems());
    }
}
