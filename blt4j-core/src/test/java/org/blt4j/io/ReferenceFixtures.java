package org.blt4j.io;

import java.nio.file.Files;
import java.nio.file.Path;

/** testdata/reference-layout (written by scripts/make-pth-fixtures.py), found by walking up from the working directory. */
public final class ReferenceFixtures {
    private ReferenceFixtures() {}

    public static Path root() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent())
            if (Files.isDirectory(d.resolve("testdata/reference-layout"))) return d.resolve("testdata/reference-layout");
        throw new IllegalStateException("testdata/reference-layout not found above " + Path.of("").toAbsolutePath());
    }
}
