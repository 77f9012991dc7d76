package org.blt4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.junit.jupiter.api.Test;

/** GenerateExample.main on the tiny golden models prints what the API generates directly. */
class GenerateExampleTest {

    /** The golden cases folder, by the core tests' rule ({@link org.blt4j.golden.GoldenCases#root}). */
    static Path goldenRoot() {
        return org.blt4j.golden.GoldenCases.root();
    }

    /** README's "Java API" section shows main as it is in GenerateExample.java. */
    @Test
    void readmeShowsTheSameMain() throws Exception {
        Path repo = goldenRoot().getParent().getParent(), file = repo.resolve(
                "blt4j-examples/src/main/java/org/blt4j/examples/GenerateExample.java");
        if (!Files.isRegularFile(file)) return; // golden models outside the repository (BLT_GOLDEN_DIR): nothing to compare
        String readme = Files.readString(repo.resolve("README.md"));
        int from = readme.indexOf("```java\n", readme.indexOf("## Java API")) + "```java\n".length();
        String shown = readme.substring(from, readme.indexOf("```", from));
        StringBuilder main = new StringBuilder();
        for (String line : Files.readString(file).lines().toList())
            if (line.startsWith("    ") && !line.isBlank() && (main.length() > 0 || line.contains("static void main")))
                main.append(line.substring(4)).append('\n');
        assertEquals(main.substring(0, main.lastIndexOf("}\n") + 2), shown);
    }

    @Test
    void printsThePromptAndTheGreedyContinuation() {
        Path blt = goldenRoot().resolve("blt_base"), em = goldenRoot().resolve("entropy_model_forward");
        String expected;
        try (Blt b = Blt.load(blt, em)) {
            expected = "Once " + b.generate("Once ", GenerateOptions.greedy().withMaxBytes(64));
        }
        assertTrue(expected.length() > "Once ".length(), "the model generates something");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            GenerateExample.main(new String[] {blt.toString(), em.toString(), "Once "});
        } finally {
            System.setOut(old);
        }
        assertEquals(expected + System.lineSeparator(), out.toString(StandardCharsets.UTF_8));
    }
}
