package org.blt4j.golden;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where the golden cases come from: $BLT_GOLDEN_DIR, then -Dblt.golden.dir, then the repository's testdata/golden. */
class GoldenCasesTest {
    @Test
    void theVariableWinsThenThePropertyThenTheVendoredFolderAboveTheWorkingDirectory(@TempDir Path tmp) throws IOException {
        Path repo = tmp.resolve("clone"), module = Files.createDirectories(repo.resolve("blt4j-core"));
        Files.createDirectories(repo.resolve("testdata/golden"));
        assertEquals(Path.of("/cases/env"), GoldenCases.root("/cases/env", "/cases/prop", module));
        assertEquals(Path.of("/cases/prop"), GoldenCases.root(null, "/cases/prop", module));
        assertEquals(Path.of("/cases/prop"), GoldenCases.root("  ", "/cases/prop", module));
        assertEquals(repo.resolve("testdata/golden").toAbsolutePath(), GoldenCases.root(null, "", module));
        assertEquals(repo.resolve("testdata/golden").toAbsolutePath(), GoldenCases.root(null, null, repo));
    }

    @Test
    void theDefaultIsTheVendoredCopyInThisRepository() {
        Path root = GoldenCases.root(null, null, Path.of(""));
        assertTrue(root.endsWith(Path.of("testdata", "golden")), root.toString());
        assertTrue(Files.isRegularFile(root.resolve("README.md")), root + " has no README.md");
        assertEquals(List.of("blt_all_layers", "blt_base", "blt_k4_projection"),
                GoldenCases.ofKind("blt", root).stream().map(GoldenCases.Case::name).toList());
    }

    @Test
    void aFolderHoldingOneCopiedCaseIsReadInstead(@TempDir Path tmp) throws IOException {
        Path src = GoldenCases.root(null, null, Path.of("")).resolve("patcher");
        Path copy = Files.createDirectories(tmp.resolve("mine/patcher"));
        Files.copy(src.resolve("case.json"), copy.resolve("case.json"));
        List<GoldenCases.Case> cases = GoldenCases.ofKind("patcher", tmp.resolve("mine"));
        assertEquals(1, cases.size());
        assertEquals(copy, cases.get(0).dir());
        assertEquals(0, GoldenCases.ofKind("blt", tmp.resolve("mine")).size());
    }
}
