package org.blt4j.langchain4j;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.ImageContent;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.ToolExecutionResultMessage;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ResponseFormat;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.blt4j.api.Blt;
import org.blt4j.api.GenerateOptions;
import org.blt4j.api.Generation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The chat models through LangChain4j's ChatModel and StreamingChatModel, on the golden models. */
class BltChatModelTest {
    static final List<ChatMessage> MESSAGES = List.of(SystemMessage.from("You are terse."), UserMessage.from("Hi"),
            AiMessage.from("Hello."), UserMessage.from("Name a fruit, s'il vous plaît."));
    static final String RENDERED = "System: You are terse.\n\nUser: Hi\n\nAssistant: Hello.\n\n"
            + "User: Name a fruit, s'il vous plaît.\n\nAssistant: ";
    static Blt blt;

    @BeforeAll
    static void load() {
        blt = Blt.load(Golden.blt(), Golden.entropyModel(), Golden.T);
    }

    @AfterAll
    static void close() {
        blt.close();
    }

    /** What a StreamingChatResponseHandler received. */
    static class Collected implements StreamingChatResponseHandler {
        final List<String> pieces = new ArrayList<>();
        ChatResponse response;
        Throwable error;

        @Override
        public void onPartialResponse(String partial) {
            pieces.add(partial);
        }

        @Override
        public void onCompleteResponse(ChatResponse r) {
            response = r;
        }

        @Override
        public void onError(Throwable e) {
            error = e;
        }
    }

    static ChatRequest request(UnaryOperator<ChatRequest.Builder> params) {
        return params.apply(ChatRequest.builder().messages(MESSAGES)).build();
    }

    @Test
    void theTemplateRendersBlocksEndingWithTheAssistants() {
        assertEquals(RENDERED, ChatTemplate.render(MESSAGES));
        assertEquals("User: a\nb\n\nAssistant: ", ChatTemplate.render(List.of(UserMessage.from(TextContent.from("a"), TextContent.from("b")))));
    }

    @Test
    void theReadmesExampleAnswersWithTheBuildersOptions() {
        String answer;
        try (BltChatModel chat = BltChatModel.builder().modelDir(Golden.blt().toString())
                .entropyModelDir(Golden.entropyModel().toString()).maxBytes(200).build()) {
            answer = chat.chat("Say hello.");
        }
        try (Blt own = Blt.load(Golden.blt(), Golden.entropyModel())) { // the config's threshold, as the builder loads it
            String prompt = ChatTemplate.render(List.of(UserMessage.from("Say hello.")));
            assertEquals("User: Say hello.\n\nAssistant: ", prompt);
            assertEquals(own.generate(prompt, GenerateOptions.defaults().withMaxBytes(200).withStops(ChatTemplate.STOP)), answer);
        }
    }

    @Test
    void chatAnswersWhatTheApiGeneratesOnTheRenderedPrompt() {
        ChatModel chat = BltChatModel.builder().blt(blt).build();
        ChatResponse r = chat.chat(request(b -> b.temperature(0.0).maxOutputTokens(48)));
        StringBuilder expected = new StringBuilder();
        Generation g = blt.generate(RENDERED, GenerateOptions.greedy().withMaxBytes(48).withStops(ChatTemplate.STOP), expected::append);
        assertEquals(expected.toString(), r.aiMessage().text());
        assertFalse(r.aiMessage().text().isEmpty());
        assertEquals(new TokenUsage(RENDERED.getBytes(UTF_8).length, g.generatedBytes()), r.tokenUsage(), "usage in bytes");
        assertEquals(RENDERED.getBytes(UTF_8).length, g.promptBytes());
        assertEquals(g.finish() == Generation.Finish.LENGTH ? FinishReason.LENGTH : FinishReason.STOP, r.finishReason());
        assertEquals(blt.name(), r.modelName());
    }

    @Test
    void everyRequestGetsTheTemplatesStopBesideItsOwn() {
        GenerateOptions d = GenerateOptions.defaults();
        assertEquals(List.of(ChatTemplate.STOP), ChatRequests.of(request(b -> b), d, "m").options().stops());
        assertEquals(List.of("x", ChatTemplate.STOP), ChatRequests.of(request(b -> b.stopSequences(List.of("x"))), d, "m").options().stops());
        assertEquals(List.of("y", ChatTemplate.STOP), ChatRequests.of(request(b -> b), d.withStops("y"), "m").options().stops());
    }

    @Test
    void requestParametersAndBuilderDefaultsMapToTheOptions() {
        GenerateOptions o = GenerateOptions.defaults().withTemperature(0.9).withTopP(0.95).withTopK(30).withSeed(7)
                .withMaxBytes(32).withStops(ChatTemplate.STOP);
        String expected = blt.generate(RENDERED, o);
        ChatModel plain = BltChatModel.builder().blt(blt).build();
        ChatResponse byRequest = plain.chat(request(b -> b.parameters(BltChatRequestParameters.builder()
                .temperature(0.9).topP(0.95).topK(30).maxOutputTokens(32).seed(7L).build())));
        assertEquals(expected, byRequest.aiMessage().text());
        ChatModel configured = BltChatModel.builder().blt(blt).temperature(0.9).topP(0.95).topK(30).seed(7).maxBytes(32).build();
        assertEquals(expected, configured.chat(request(b -> b)).aiMessage().text());
        assertEquals(32, configured.defaultRequestParameters().maxOutputTokens());
        // a request's value wins over the builder's
        String greedy = blt.generate(RENDERED, GenerateOptions.greedy().withMaxBytes(32).withStops(ChatTemplate.STOP));
        assertEquals(greedy, configured.chat(request(b -> b.temperature(0.0))).aiMessage().text());
    }

    @Test
    void streamingChatDeliversPiecesThenTheResponse() {
        ChatResponse whole = BltChatModel.builder().blt(blt).build().chat(request(b -> b.temperature(0.0).maxOutputTokens(48)));
        StreamingChatModel chat = BltStreamingChatModel.builder().blt(blt).build();
        Collected h = new Collected();
        chat.chat(request(b -> b.temperature(0.0).maxOutputTokens(48)), h);
        assertNull(h.error);
        assertTrue(h.pieces.size() > 1, "partial text as it forms: " + h.pieces);
        for (String p : h.pieces) assertEquals(p, new String(p.getBytes(UTF_8), UTF_8), "whole characters");
        assertEquals(h.response.aiMessage().text(), String.join("", h.pieces));
        assertEquals(whole, h.response, "the same answer, usage, finish reason and model name as chat");
    }

    @Test
    void aStopSequenceCutsTheAnswer() {
        String full = BltChatModel.builder().blt(blt).build().chat(request(b -> b.temperature(0.0).maxOutputTokens(48)))
                .aiMessage().text();
        int at = full.offsetByCodePoints(0, full.codePointCount(0, full.length()) / 2);
        String stop = new String(Character.toChars(full.codePointAt(at)));
        Collected h = new Collected();
        BltStreamingChatModel.builder().blt(blt).build()
                .chat(request(b -> b.temperature(0.0).maxOutputTokens(48).stopSequences(List.of(stop))), h);
        String cut = full.substring(0, full.indexOf(stop));
        assertEquals(cut, h.response.aiMessage().text());
        assertEquals(cut, String.join("", h.pieces));
        assertEquals(FinishReason.STOP, h.response.finishReason());
        Generation g = blt.generate(RENDERED, GenerateOptions.greedy().withMaxBytes(48).withStops(stop, ChatTemplate.STOP), t -> {});
        assertEquals(Generation.Finish.STOP_STRING, g.finish());
        assertEquals(new TokenUsage(g.promptBytes(), g.generatedBytes()), h.response.tokenUsage());
    }

    @Test
    void theHandleCancels() {
        Collected h = new Collected() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                super.onPartialResponse(partial, context);
                context.streamingHandle().cancel();
            }
        };
        BltStreamingChatModel.builder().blt(blt).build().chat(request(b -> b.temperature(0.0).maxOutputTokens(48)), h);
        assertEquals(1, h.pieces.size(), "nothing after the cancel");
        assertNull(h.response);
        assertNull(h.error);
    }

    /** Found by a hostile probe: every terminal callback once, Errors included, and none after a completion. */
    @Test
    void errorsOfAnyKindEndTheStreamOnceAndNothingFollowsACompletion() throws Exception {
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        StreamingChatResponseHandler throwsError = new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                events.add("partial");
                throw new AssertionError("handler bug");
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                events.add("complete");
            }

            @Override
            public void onError(Throwable e) {
                events.add("error " + e.getMessage());
            }
        };
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            BltStreamingChatModel.builder().blt(blt).executor(pool).build().chat(request(b -> b.temperature(0.0).maxOutputTokens(8)), throwsError);
            pool.submit(() -> {}).get();   // the chat ran before this
            assertEquals(List.of("partial", "error handler bug"), events);
        } finally {
            pool.shutdown();
        }
        events.clear();
        StreamingChatResponseHandler throwsOnComplete = new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {}

            @Override
            public void onCompleteResponse(ChatResponse r) {
                events.add("complete");
                throw new IllegalStateException("complete boom");
            }

            @Override
            public void onError(Throwable e) {
                events.add("error");
            }
        };
        assertThrows(IllegalStateException.class, () -> BltStreamingChatModel.builder().blt(blt).build()
                .chat(request(b -> b.temperature(0.0).maxOutputTokens(4)), throwsOnComplete));
        assertEquals(List.of("complete"), events, "no onError after onCompleteResponse");
        // a shut-down executor: onError, not an exception from chat()
        Collected h = new Collected();
        BltStreamingChatModel.builder().blt(blt).executor(pool).build().chat(request(b -> b.maxOutputTokens(4)), h);
        assertTrue(h.error instanceof java.util.concurrent.RejectedExecutionException, String.valueOf(h.error));
    }

    /**
     * Once cancel() returns on another thread, no callback starts: besides the one that may be running, no piece and
     * no ending come after it (400 bytes were asked for).
     */
    @Test
    void aCancelFromAnotherThreadStopsTheCallbacks() throws Exception {
        for (int trial = 0; trial < 5; trial++) {
            java.util.concurrent.CountDownLatch first = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<PartialResponseContext> ctx = new java.util.concurrent.atomic.AtomicReference<>();
            java.util.concurrent.atomic.AtomicInteger started = new java.util.concurrent.atomic.AtomicInteger();
            List<String> endings = new java.util.concurrent.CopyOnWriteArrayList<>();
            StreamingChatResponseHandler h = new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    started.incrementAndGet();
                    ctx.set(context);
                    first.countDown();
                }

                @Override
                public void onCompleteResponse(ChatResponse r) {
                    endings.add("complete");
                }

                @Override
                public void onError(Throwable e) {
                    endings.add("error " + e);
                }
            };
            var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                BltStreamingChatModel.builder().blt(blt).executor(pool).build()
                        .chat(request(b -> b.temperature(1.0).maxOutputTokens(400)), h);
                first.await();
                ctx.get().streamingHandle().cancel();
                int atCancel = started.get();
                assertTrue(ctx.get().streamingHandle().isCancelled());
                pool.shutdown();
                assertTrue(pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
                assertTrue(started.get() <= atCancel + 1, "pieces after cancel() returned: " + (started.get() - atCancel));
                assertEquals(List.of(), endings, "an ending after cancel() returned");
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * A piece callback that waits for the thread that cancels (a UI's invokeAndWait): cancel() returns at once instead
     * of waiting for that callback, which deadlocked.
     */
    @Test
    void aCancelDoesNotWaitForTheCallbackInProgress() throws Exception {
        java.util.concurrent.CountDownLatch inCallback = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch cancelReturned = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<PartialResponseContext> ctx = new java.util.concurrent.atomic.AtomicReference<>();
        List<String> events = new java.util.concurrent.CopyOnWriteArrayList<>();
        StreamingChatResponseHandler h = new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                events.add("partial");
                ctx.set(context);
                inCallback.countDown();
                try {   // waits for the cancelling thread, as invokeAndWait waits for the UI thread
                    if (!cancelReturned.await(30, java.util.concurrent.TimeUnit.SECONDS)) events.add("cancel never returned");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }

            @Override
            public void onCompleteResponse(ChatResponse r) {
                events.add("complete");
            }

            @Override
            public void onError(Throwable e) {
                events.add("error " + e);
            }
        };
        var pool = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            BltStreamingChatModel.builder().blt(blt).executor(pool).build()
                    .chat(request(b -> b.temperature(1.0).maxOutputTokens(400)), h);
            assertTrue(inCallback.await(60, java.util.concurrent.TimeUnit.SECONDS));
            var canceller = java.util.concurrent.CompletableFuture.runAsync(() -> ctx.get().streamingHandle().cancel());
            canceller.get(10, java.util.concurrent.TimeUnit.SECONDS);   // a TimeoutException here: cancel() waited
            cancelReturned.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(List.of("partial"), events, "one piece, then nothing");
        } finally {
            cancelReturned.countDown();
            pool.shutdownNow();
        }
    }

    /**
     * Exactly one ending when the executor runs the task in place (the default) and the completion callback throws
     * what an executor throws (it handed work to a pool that was shut down): it propagates, no onError follows.
     */
    @Test
    void aRejectionThrownByTheHandlerIsNotAnotherEnding() {
        var shutDown = java.util.concurrent.Executors.newSingleThreadExecutor();
        shutDown.shutdown();
        List<String> events = new ArrayList<>();
        StreamingChatResponseHandler h = new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {}

            @Override
            public void onCompleteResponse(ChatResponse r) {
                events.add("complete");
                shutDown.execute(() -> {});
            }

            @Override
            public void onError(Throwable e) {
                events.add("error " + e.getClass().getSimpleName());
            }
        };
        BltStreamingChatModel model = BltStreamingChatModel.builder().blt(blt).temperature(0).maxBytes(8).build();
        assertThrows(java.util.concurrent.RejectedExecutionException.class, () -> model.chat(request(b -> b), h));
        assertEquals(List.of("complete"), events);
    }

    /** The builders' listeners reach LangChain4j, which calls them around each request (both chat models). */
    @Test
    void listenersSeeRequestsAndResponses() {
        List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.langchain4j.model.chat.listener.ChatModelListener listener = new dev.langchain4j.model.chat.listener.ChatModelListener() {
            @Override
            public void onRequest(dev.langchain4j.model.chat.listener.ChatModelRequestContext c) {
                seen.add("request");
            }

            @Override
            public void onResponse(dev.langchain4j.model.chat.listener.ChatModelResponseContext c) {
                seen.add("response " + c.chatResponse().aiMessage().text().length());
            }

            @Override
            public void onError(dev.langchain4j.model.chat.listener.ChatModelErrorContext c) {
                seen.add("error");
            }
        };
        BltChatModel chat = BltChatModel.builder().blt(blt).temperature(0).maxBytes(8).listeners(List.of(listener)).build();
        assertEquals(List.of(listener), chat.listeners());
        String answer = chat.chat("Hi");
        assertEquals(List.of("request", "response " + answer.length()), seen);
        seen.clear();
        Collected h = new Collected();
        BltStreamingChatModel.builder().blt(blt).temperature(0).maxBytes(8).listeners(List.of(listener)).build()
                .chat(request(b -> b.maxOutputTokens(0)), h);   // refused: an error
        assertTrue(h.error != null);
        assertEquals(List.of("request", "error"), seen);
        assertEquals(List.of(), BltChatModel.builder().blt(blt).build().listeners());
        assertThrows(org.blt4j.Blt4jException.class, () -> BltChatModel.builder().listeners(java.util.Arrays.asList(listener, null)));
    }

    /** A null streaming handler is refused before anything runs (LangChain4j's wrapper hid it until the end). */
    @Test
    void aNullHandlerIsRefusedAtOnce() {
        BltStreamingChatModel model = BltStreamingChatModel.builder().blt(blt).build();
        org.blt4j.Blt4jException e = assertThrows(org.blt4j.Blt4jException.class,
                () -> model.chat(request(b -> b), (StreamingChatResponseHandler) null));
        assertTrue(e.getMessage().contains("handler"), e.getMessage());
    }

    @Test
    void whatABaseModelCannotHonourIsRefused() {
        ToolSpecification tool = ToolSpecification.builder().name("weather").build();
        List<ChatRequest> refused = List.of(
                request(b -> b.toolSpecifications(tool)),
                request(b -> b.toolChoice(ToolChoice.REQUIRED)),
                request(b -> b.responseFormat(ResponseFormat.JSON)),
                request(b -> b.frequencyPenalty(0.5)),
                request(b -> b.presencePenalty(0.5)),
                request(b -> b.modelName("gpt-4o")),
                ChatRequest.builder().messages(UserMessage.from(TextContent.from("look"), ImageContent.from("https://example.com/a.png"))).build(),
                ChatRequest.builder().messages(UserMessage.from("hi"), ToolExecutionResultMessage.from("1", "weather", "sunny")).build());
        ChatModel chat = BltChatModel.builder().blt(blt).build();
        StreamingChatModel streaming = BltStreamingChatModel.builder().blt(blt).build();
        for (ChatRequest r : refused) {
            assertThrows(UnsupportedFeatureException.class, () -> chat.chat(r), r.toString());
            Collected h = new Collected();
            streaming.chat(r, h);
            assertTrue(h.error instanceof UnsupportedFeatureException, r + " -> " + h.error);
            assertTrue(h.pieces.isEmpty());
            assertNull(h.response);
        }
        UnsupportedFeatureException e = assertThrows(UnsupportedFeatureException.class,
                () -> chat.chat(request(b -> b.toolSpecifications(tool))));
        assertEquals("tools are not supported: BLT checkpoints are base models", e.getMessage());
        // what does apply is accepted: the model's own name, no tools, a text response format
        ChatResponse ok = chat.chat(request(b -> b.modelName(blt.name()).toolChoice(ToolChoice.AUTO)
                .responseFormat(ResponseFormat.TEXT).temperature(0.0).maxOutputTokens(4)));
        assertEquals(blt.generate(RENDERED, GenerateOptions.greedy().withMaxBytes(4).withStops(ChatTemplate.STOP)), ok.aiMessage().text());
    }
}
