package org.blt4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.blt4j.generate.LoadedModels;
import org.blt4j.text.ByteTokenizer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The page in headless Chromium: entropies and patch boundaries render, the threshold slider re-patches, generation
 * streams. Skipped when no chromium is installed. Leaves a screenshot in target/page.png.
 */
class PageBrowserTest {
    @TempDir
    Path profile;

    @Test
    @Timeout(180)
    void pageRendersPatchesAndStreams() throws Exception {
        Path exe = Chromium.find();
        Assumptions.assumeTrue(exe != null, "chromium is not installed");
        LoadedModels models = TestModels.get();
        ServerLimits limits = new ServerLimits(4096, 512, 16, 2, 8, 10_000, 60_000, 64 * 1024, ServerLimits.threadsFor(2, 8));
        try (BltServer server = BltServer.start(models, limits, "127.0.0.1", 0, true, line -> {});
             Chromium browser = new Chromium(exe, profile, 1100, 860)) {
            long t0 = System.nanoTime();
            browser.navigate(server.uri());
            browser.waitUntil("window.bltState !== undefined && bltState.bytes.length > 0 && document.querySelectorAll('#view span.b').length > 0",
                    Duration.ofSeconds(30));

            // every character is a coloured span; boundaries are where the model says patches start
            String text = browser.eval("document.getElementById('text').value").asText();
            assertTrue(text.chars().allMatch(c -> c < 128), "the sample text is ASCII: one span per byte");
            JsonNode dom = browser.eval(COUNT);
            assertEquals(text.length(), dom.get("spans").asInt(), dom.toString());
            assertEquals(text.length(), dom.get("coloured").asInt(), "every byte has a colour: " + dom);
            assertTrue(dom.get("distinctColours").asInt() > 3, "a range of entropies: " + dom);
            int[] tokens = ByteTokenizer.encode(text, true, false);
            int[] lengths = models.patcherArgs().build().patchLengths(tokens, models.entropyModel().entropies(tokens), false);
            assertEquals(lengths.length - 1, dom.get("boundaries").asInt(), "one mark per patch (the BOS patch is not shown): " + dom);
            assertTrue(dom.get("legend").asBoolean(), "the legend is drawn");

            // the slider re-patches through the server: θ = 0 makes every byte a patch, the top of the scale only the first
            browser.eval(SET_THETA.formatted("0"));
            browser.waitUntil(PATCHED_AT_THETA, Duration.ofSeconds(30));
            assertEquals(text.length(), browser.eval(COUNT).get("boundaries").asInt());
            browser.eval(SET_THETA.formatted("document.getElementById('theta').max"));
            browser.waitUntil(PATCHED_AT_THETA, Duration.ofSeconds(30));
            assertEquals(1, browser.eval(COUNT).get("boundaries").asInt());
            browser.eval("document.getElementById('theta-reset').click()");
            browser.waitUntil(PATCHED_AT_THETA, Duration.ofSeconds(30));
            assertEquals(lengths.length - 1, browser.eval(COUNT).get("boundaries").asInt());

            System.out.printf("page test: loaded and re-patched in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            // generation streams: the generated text grows while the page shows it
            browser.eval("document.getElementById('max-bytes').value = '32'; document.getElementById('temperature').value = '0'; "
                    + "document.getElementById('gen-btn').click(); true");
            List<Integer> seen = new ArrayList<>();
            long end = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (System.nanoTime() < end) {
                JsonNode s = browser.eval("({n: bltState.genText.length, generating: bltState.generating, "
                        + "status: document.getElementById('gen-status').textContent})");
                int n = s.get("n").asInt();
                if (seen.isEmpty() || seen.getLast() != n) seen.add(n);
                if (!s.get("generating").asBoolean() && s.get("status").asText().startsWith("done")) break;
                Thread.sleep(20);
            }
            assertTrue(browser.eval("document.getElementById('gen-status').textContent").asText().startsWith("done"),
                    "generation finished: " + browser.eval("document.getElementById('gen-status').textContent"));
            // the page drew the text piece by piece, as the server streamed it (polling above may see only some steps)
            int chunks = browser.eval("bltState.chunks").asInt();
            assertTrue(chunks >= 3, "the text grew in " + chunks + " streamed pieces; lengths seen " + seen);
            System.out.printf("page test: generated in %.1f s, text lengths seen %s%n", (System.nanoTime() - t0) / 1e9, seen);
            // once the last patch answer is in, the generated bytes are coloured too and marked as generated
            browser.waitUntil("!bltState.patchInFlight && document.querySelectorAll('#view span.pending').length === 0", Duration.ofSeconds(30));
            JsonNode after = browser.eval(COUNT);
            assertTrue(after.get("generated").asInt() > 0, after.toString());
            assertEquals(after.get("spans").asInt(), after.get("coloured").asInt(), after.toString());
            assertTrue(after.get("boundaries").asInt() > dom.get("boundaries").asInt(), after.toString());

            System.out.printf("page test: final patches in %.1f s%n", (System.nanoTime() - t0) / 1e9);
            byte[] png = browser.screenshot();
            assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G');
            Files.createDirectories(Path.of("target"));
            Files.write(Path.of("target", "page.png"), png);
        }
    }

    static final String COUNT = """
            (() => {
              const spans = [...document.querySelectorAll('#view span.b')];
              const bg = spans.map(s => s.style.backgroundColor).filter(c => c !== '');
              return {
                spans: spans.length,
                coloured: bg.length,
                distinctColours: new Set(bg).size,
                boundaries: document.querySelectorAll('#view span.ps').length,
                generated: document.querySelectorAll('#view span.gen').length,
                legend: document.getElementById('bar').style.background.includes('gradient') && document.querySelectorAll('#ticks .tick').length > 3,
              };
            })()""";

    /** The server's last patch answer is for the slider's θ. */
    static final String PATCHED_AT_THETA =
            "!bltState.patchInFlight && bltState.serverTheta === bltState.theta";

    static final String SET_THETA = """
            (() => { const t = document.getElementById('theta'); t.value = String(%s); t.dispatchEvent(new Event('input')); return true; })()""";
}
