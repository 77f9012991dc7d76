package org.blt4j.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Slow or vanished clients cost the front a connection each, never the server's threads or a turn nobody reads. */
class SlowClientsTest {
    /** 1 generation at a time, 1 waiting: 20 request threads. */
    private static final ServerLimits TIGHT = new ServerLimits(256, 100_000, 8, 1, 1, 1_500, 20_000, 4096, ServerLimits.threadsFor(1, 1));

    private static Socket connect(BltServer s) throws Exception {
        Socket c = new Socket(s.uri().getHost(), s.uri().getPort());
        c.setSoTimeout(15_000);
        return c;
    }

    private static String readAll(InputStream in) throws Exception {
        return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    @Test
    void bodiesThatNeverArriveHoldNoRequestThread() throws Exception {
        try (BltServer s = BltServer.start(TestModels.get(), TIGHT, "127.0.0.1", 0, true, line -> {})) {
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < TIGHT.httpThreads() + 10; i++) {   // more stalled bodies than request threads
                    Socket c = connect(s);
                    c.getOutputStream().write("POST /v1/patch HTTP/1.1\r\nHost: localhost\r\nContent-Length: 50\r\n\r\n{\"te"
                            .getBytes(StandardCharsets.US_ASCII));
                    c.getOutputStream().flush();
                    slow.add(c);
                }
                long t0 = System.nanoTime();
                BltServerTest.Answer a = BltServerTest.send(s, "POST", "/v1/patch",
                        java.net.http.HttpRequest.BodyPublishers.ofString("{\"text\": \"ab\"}"));
                assertEquals(200, a.status(), a.raw().body());
                assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "a normal request waited behind the stalled bodies");
            } finally {
                for (Socket c : slow) c.close();
            }
        }
    }

    @Test
    void aRequestThatTrickles408sAtTheDeadline() throws Exception {
        int before = HttpFront.requestTimeoutMs;
        HttpFront.requestTimeoutMs = 1_000;
        try (BltServer s = BltServer.start(TestModels.get(), TIGHT, "127.0.0.1", 0, true, line -> {});
             Socket c = connect(s)) {
            OutputStream out = c.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nX-A: ".getBytes(StandardCharsets.US_ASCII));
            long t0 = System.nanoTime();
            Thread writer = Thread.ofVirtual().start(() -> {   // a byte every 200 ms: each read is quick, the whole is not
                try {
                    for (int i = 0; i < 50; i++) {
                        Thread.sleep(200);
                        out.write('a');
                        out.flush();
                    }
                } catch (Exception closed) {
                    // the server hung up
                }
            });
            String answer = readAll(c.getInputStream());
            double secs = (System.nanoTime() - t0) / 1e9;
            writer.interrupt();
            assertTrue(answer.startsWith("HTTP/1.1 408 "), answer);
            assertTrue(answer.contains("did not arrive in time"), answer);
            assertTrue(secs < 5, "answered after " + secs + " s");
        } finally {
            HttpFront.requestTimeoutMs = before;
        }
    }

    @Test
    void aGenerationWhoseClientLeftStopsEarly() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        try (BltServer s = BltServer.start(TestModels.get(), TIGHT, "127.0.0.1", 0, true, log::add)) {
            String body = "{\"prompt\": \"a long one\", \"max_tokens\": 100000, \"temperature\": 0, \"ignore_eos\": true}";
            long t0;
            try (Socket c = connect(s)) {
                c.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length()
                        + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
                c.getOutputStream().flush();
                BltServerTest.waitFor(s, "running", 1);
                t0 = System.nanoTime();
            }   // the client leaves without its answer
            long end = t0 + 10_000_000_000L;
            while (BltServerTest.send(s, "GET", "/health", java.net.http.HttpRequest.BodyPublishers.noBody()).json().get("running").asInt() > 0) {
                assertTrue(System.nanoTime() < end, "the generation ran on for a client that left");
                Thread.sleep(20);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            assertTrue(secs < 5, "stopped " + secs + " s after the client left (the time limit is 20 s)");
            Thread.sleep(100);
            assertTrue(log.stream().anyMatch(l -> l.contains("client gone")), log.toString());
        }
    }

    /** Found by a hostile probe: a client waiting longer than the idle timeout for its answer was cut off without it. */
    @Test
    void aClientWaitingForALongAnswerIsNotIdle() throws Exception {
        int before = HttpFront.idleTimeoutMs;
        HttpFront.idleTimeoutMs = 500;
        ServerLimits threeSeconds = new ServerLimits(256, 100_000, 8, 1, 1, 1_500, 3_000, 4096, ServerLimits.threadsFor(1, 1));
        try (BltServer s = BltServer.start(TestModels.get(), threeSeconds, "127.0.0.1", 0, true, l -> {});
             Socket c = connect(s)) {
            String body = "{\"prompt\": \"a long one\", \"max_tokens\": 100000, \"temperature\": 0, \"ignore_eos\": true}";
            c.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: "
                    + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            String answer = readAll(c.getInputStream());   // 3 s of generating, 6 idle timeouts long
            assertTrue(answer.startsWith("HTTP/1.1 200") && answer.contains("\"time_limit\""), answer.length() > 300 ? answer.substring(0, 300) : answer);
        } finally {
            HttpFront.idleTimeoutMs = before;
        }
    }

    /** Found by a hostile probe: a SIGTERM dropped every running answer and logged them as 500s. */
    @Test
    void aShutdownLetsRunningGenerationsFinish() throws Exception {
        ServerLimits twoSeconds = new ServerLimits(256, 100_000, 8, 1, 1, 1_500, 2_000, 4096, ServerLimits.threadsFor(1, 1));
        List<String> log = new CopyOnWriteArrayList<>();
        BltServer s = BltServer.start(TestModels.get(), twoSeconds, "127.0.0.1", 0, true, log::add);
        try (Socket c = connect(s)) {
            String body = "{\"prompt\": \"a long one\", \"max_tokens\": 100000, \"temperature\": 0, \"ignore_eos\": true}";
            c.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            c.getOutputStream().flush();
            BltServerTest.waitFor(s, "running", 1);
            int[] left = {-1};
            Thread stop = Thread.ofPlatform().start(() -> left[0] = s.shutdown(15_000));
            Thread.sleep(200);
            try (Socket late = new Socket(s.uri().getHost(), s.uri().getPort())) {   // accepted by the OS backlog at most
                late.setSoTimeout(5_000);
                late.getOutputStream().write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                String a = readAll(late.getInputStream());
                assertTrue(!a.startsWith("HTTP/1.1 200"), "a new connection during the shutdown was served: " + a);
            } catch (java.io.IOException refused) {
                // the listener is closed: refused, as it should be
            }
            String head = new String(c.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
            assertTrue(head.equals("HTTP/1.1 200"), "the running generation's answer: " + head);
            stop.join(20_000);
            assertTrue(left[0] == 0, "generations cut off: " + left[0]);
            assertTrue(log.stream().noneMatch(l -> l.contains(" 500 ")), log.toString());
        } finally {
            s.close();
        }
    }

    @Test
    void aQueuedRequestWhoseClientLeftIsNotPrefilled() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        try (BltServer s = BltServer.start(TestModels.get(), TIGHT, "127.0.0.1", 0, true, log::add)) {
            String body = "{\"prompt\": \"a long one\", \"max_tokens\": 100000, \"temperature\": 0, \"ignore_eos\": true}";
            byte[] request = ("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII);
            Socket first = connect(s), queued = connect(s);
            try {
                first.getOutputStream().write(request);
                BltServerTest.waitFor(s, "running", 1);
                queued.getOutputStream().write(request);
                BltServerTest.waitFor(s, "waiting", 1);
                queued.close();   // leaves while it waits
                first.close();    // the running one stops, the queued one gets the turn
                long end = System.nanoTime() + 10_000_000_000L;
                while (log.stream().noneMatch(l -> l.contains("client gone before its turn"))) {
                    assertTrue(System.nanoTime() < end, log.toString());
                    Thread.sleep(20);
                }
            } finally {
                first.close();
                queued.close();
            }
        }
    }
}
