package org.blt4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.blt4j.Blt4jException;
import org.blt4j.train.TrainConfig;

/** The corpus and training configs bundled in the jar (from data/ and configs/), used by demo and bench. */
final class Bundled {
    private Bundled() {}

    static final String CORPUS = "sotu-sample.txt.gz";

    /** Copies the bundled corpus to {@code to} (temp file, then rename). */
    static void copyCorpus(Path to) throws IOException {
        try (InputStream in = resource("blt4j/data/" + CORPUS)) {
            Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }

    /** {@code corpus} when given, else the bundled corpus copied to a temporary file deleted at exit (the benches' prompts). */
    static Path corpusOr(Path corpus) throws IOException {
        if (corpus != null) return corpus;
        Path text = Files.createTempFile("blt4j-corpus", ".txt.gz");
        text.toFile().deleteOnExit();
        copyCorpus(text);
        return text;
    }

    /** A bundled config (configs/NAME) with {@code section.key=value} overrides applied. */
    static TrainConfig config(String name, List<String> overrides) throws IOException {
        ObjectNode tree;
        try (InputStream in = resource("blt4j/configs/" + name)) {
            tree = (ObjectNode) org.blt4j.io.Json.YAML.readTree(in);
        }
        return TrainConfig.fromTree(tree, overrides, name);
    }

    private static InputStream resource(String name) {
        InputStream in = Bundled.class.getClassLoader().getResourceAsStream(name);
        if (in == null) throw new Blt4jException("the bundled " + name + " is missing from the jar: rebuild with ./mvnw package");
        return in;
    }
}
