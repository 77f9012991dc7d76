package org.blt4j.examples;

import java.nio.file.Path;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;

/** Loads a BLT and its entropy model, continues a prompt greedily and prints the text: {@code BLT_DIR ENTROPY_DIR [PROMPT]}. */
public final class GenerateExample {
    private GenerateExample() {}

    /** @param args the BLT folder, the entropy model folder and optionally the prompt (default "The ") */
    public static void main(String[] args) {
        try (Blt blt = Blt.load(Path.of(args[0]), Path.of(args[1]))) {
            String prompt = args.length > 2 ? args[2] : "The ";
            String text = blt.generate(prompt, GenerateOptions.greedy().withMaxBytes(64));
            System.out.println(prompt + text);
        }
    }
}
