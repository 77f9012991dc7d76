package org.blt4j.langchain4j;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.blt4j.Blt4jException;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.blt4j.api.Generation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The language models through LangChain4j's LanguageModel and StreamingLanguageModel, on the golden models. */
class BltLanguageModelTest {
    static final String PROMPT = "Once upon a café ";
    static Blt blt;

    @BeforeAll
    static void load() {
        blt = Blt.load(Golden.blt(), Golden.entropyModel(), Golden.T);
    }

    @AfterAll
    static void close() {
        blt.close();
    }

    /** What a StreamingResponseHandler received. */
    static class Collected implements StreamingResponseHandler<String> {
        final List<String> pieces = new ArrayList<>();
        final CompletableFuture<Response<String>> done = new CompletableFuture<>();
        Throwable error;

        @Override
        public void onNext(String token) {
            pieces.add(token);
        }

        @Override
        public void onComplete(Response<String> response) {
            done.complete(response);
        }

        @Override
        public void onError(Throwable e) {
            error = e;
            done.completeExceptionally(e);
        }
    }

    @Test
    void generateGivesTheApisTextWithUsageInBytes() {
        LanguageModel lm = BltLanguageModel.builder().blt(blt).temperature(0).maxBytes(40).stopAtEos(false).build();
        Response<String> r = lm.generate(PROMPT);
        assertEquals(blt.generate(PROMPT, GenerateOptions.greedy().withMaxBytes(40).withStopAtEos(false)), r.content());
        assertFalse(r.content().isEmpty());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        int promptBytes = PROMPT.getBytes(UTF_8).length;
        assertNotEquals(PROMPT.length(), promptBytes, "bytes, not chars");
        assertEquals(new TokenUsage(promptBytes, 40, promptBytes + 40), r.tokenUsage());
    }

    @Test
    void samplingOptionsReachTheGenerator() {
        LanguageModel lm = BltLanguageModel.builder().blt(blt).temperature(0.9).topP(0.95).topK(30).seed(7).maxBytes(32).build();
        GenerateOptions o = GenerateOptions.defaults().withTemperature(0.9).withTopP(0.95).withTopK(30).withSeed(7).withMaxBytes(32);
        assertEquals(blt.generate(PROMPT, o), lm.generate(PROMPT).content());
    }

    @Test
    void streamingDeliversWholeCharacterPiecesThenTheResponse() throws Exception {
        BltLanguageModel whole = BltLanguageModel.builder().blt(blt).temperature(0).maxBytes(48).stopAtEos(false).build();
        Response<String> expected = whole.generate(PROMPT);
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try {
            for (StreamingLanguageModel lm : List.of(
                    BltStreamingLanguageModel.builder().blt(blt).temperature(0).maxBytes(48).stopAtEos(false).build(),
                    BltStreamingLanguageModel.builder().blt(blt).temperature(0).maxBytes(48).stopAtEos(false).executor(pool).build())) {
                Collected h = new Collected();
                lm.generate(PROMPT, h);
                Response<String> r = h.done.get(60, TimeUnit.SECONDS);
                assertTrue(h.pieces.size() > 1, "partial text as it forms: " + h.pieces);
                for (String p : h.pieces) {
                    assertFalse(p.isEmpty());
                    assertEquals(p, new String(p.getBytes(UTF_8), UTF_8), "whole characters");
                }
                assertEquals(r.content(), String.join("", h.pieces));
                assertEquals(expected, r, "the same text, usage and finish reason as generate");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aStopSequenceEndsTheTextWithStop() {
        String full = BltLanguageModel.builder().blt(blt).temperature(0).maxBytes(48).stopAtEos(false).build()
                .generate(PROMPT).content();
        int at = full.offsetByCodePoints(0, full.codePointCount(0, full.length()) / 2);
        String stop = new String(Character.toChars(full.codePointAt(at)));
        String cut = full.substring(0, full.indexOf(stop));
        BltStreamingLanguageModel lm = BltStreamingLanguageModel.builder().blt(blt).temperature(0).maxBytes(48)
                .stopAtEos(false).stopSequences("never-there", stop).build();
        Collected h = new Collected();
        lm.generate(PROMPT, h);
        Response<String> r = h.done.join();
        assertEquals(cut, r.content());
        assertEquals(cut, String.join("", h.pieces));
        assertEquals(FinishReason.STOP, r.finishReason());
        // the bytes the model generated (text and stop string; malformed bytes show as U+FFFD, so not the text's UTF-8)
        Generation g = blt.generate(PROMPT, GenerateOptions.greedy().withMaxBytes(48).withStopAtEos(false).withStops(stop), t -> {});
        assertEquals(Generation.Finish.STOP_STRING, g.finish());
        assertEquals(g.generatedBytes(), r.tokenUsage().outputTokenCount());
        assertTrue(g.generatedBytes() < 48, "stopped early");
    }

    @Test
    void theModelOwnsWhatItLoadsAndLeavesASharedBltOpen() {
        GenerateOptions greedy = GenerateOptions.greedy().withMaxBytes(24);
        BltLanguageModel owned = BltLanguageModel.builder().modelDir(Golden.blt()).entropyModelDir(Golden.entropyModel())
                .threshold(Golden.T).temperature(0).maxBytes(24).build();
        assertEquals(blt.generate(PROMPT, greedy), owned.generate(PROMPT).content());
        owned.close();
        Blt4jException e = assertThrows(Blt4jException.class, () -> owned.generate(PROMPT));
        assertEquals("this Blt is closed", e.getMessage());

        BltLanguageModel shared = BltLanguageModel.builder().blt(blt).build();
        shared.close();
        assertEquals(blt.generate(PROMPT, greedy), blt.generate(PROMPT, greedy), "still open");
    }

    @Test
    void errorsGoToOnError() {
        BltStreamingLanguageModel lm = BltStreamingLanguageModel.builder().modelDir(Golden.blt())
                .entropyModelDir(Golden.entropyModel()).build();
        lm.close();
        Collected h = new Collected();
        lm.generate(PROMPT, h);
        assertTrue(h.error instanceof Blt4jException, String.valueOf(h.error));
        assertEquals("this Blt is closed", h.error.getMessage());
        assertTrue(h.pieces.isEmpty());

        // a handler that throws ends the stream through onError too
        Collected failing = new Collected() {
            @Override
            public void onNext(String token) {
                throw new IllegalStateException("handler failed");
            }
        };
        BltStreamingLanguageModel.builder().blt(blt).build().generate(PROMPT, failing);
        assertEquals("handler failed", failing.error.getMessage());
        assertTrue(failing.done.isCompletedExceptionally(), "no completion after the error");
    }

    /**
     * Exactly one ending when the task runs in place (the default executor) and onComplete throws what an executor
     * throws: it propagates, and no onError follows the completion.
     */
    @Test
    void aRejectionThrownByTheHandlerIsNotAnotherEnding() {
        var shutDown = java.util.concurrent.Executors.newSingleThreadExecutor();
        shutDown.shutdown();
        java.util.List<String> events = new java.util.ArrayList<>();
        dev.langchain4j.model.StreamingResponseHandler<String> h = new dev.langchain4j.model.StreamingResponseHandler<>() {
            @Override
            public void onNext(String token) {}

            @Override
            public void onComplete(Response<String> response) {
                events.add("complete");
                shutDown.execute(() -> {});
            }

            @Override
            public void onError(Throwable e) {
                events.add("error " + e.getClass().getSimpleName());
            }
        };
        BltStreamingLanguageModel lm = BltStreamingLanguageModel.builder().blt(blt).maxBytes(8).build();
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> lm.generate(PROMPT, h));
        assertEquals(java.util.List.of("complete"), events);
    }

    @Test
    void badSettingsAreOneClearError() {
        assertMessage("maxBytes must be >= 1, got 0", () -> BltLanguageModel.builder().maxBytes(0));
        assertMessage("topP must be in (0, 1], got 1.5", () -> BltChatModel.builder().topP(1.5));
        assertMessage("modelDir is not set: give the BLT checkpoint folder with modelDir(...), or a loaded Blt with blt(...)",
                () -> BltStreamingChatModel.builder().build());
        assertMessage("give either blt(...) or modelDir(...)/entropyModelDir(...)/threshold(...), not both",
                () -> BltStreamingLanguageModel.builder().blt(blt).modelDir(Golden.blt()).build());
        assertMessage("threshold needs entropyModelDir(...): give the entropy model folder too",
                () -> BltLanguageModel.builder().modelDir(Golden.blt()).threshold(1).build());
    }

    static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        Blt4jException e = assertThrows(Blt4jException.class, call);
        assertEquals(expected, e.getMessage());
    }
}
