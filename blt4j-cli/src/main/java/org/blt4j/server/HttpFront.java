package org.blt4j.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.blt4j.io.Json;

/**
 * The server's public socket, in front of the JDK's HTTP server (which listens on loopback only). It reads each
 * request's head and frames its body itself, so that a malformed request gets blt4j's JSON error instead of the JDK's
 * own {@code text/html} answer (or a dropped connection), then passes the bytes through unchanged, answers included.
 * It is stricter than the JDK: lines end in CRLF, no folded headers, header names are tokens, at most one
 * Content-Length and not with Transfer-Encoding, which may only be "chunked"; so both parse the same bytes the same way.
 * <p>
 * Per connection: one virtual thread reads requests from the client and writes them upstream, one copies answers back.
 * <p>
 * Slow clients cost the front a virtual thread each and never a thread of the JDK server: a request (head and body)
 * is read whole, within {@link #REQUEST_TIMEOUT_MS} of its first byte (else 408), before any of it goes upstream;
 * a body over the server's limit gets 413 here. One client address holds at most {@link #MAX_CONNECTIONS_PER_CLIENT}
 * connections, so a single client cannot take all {@link #MAX_CONNECTIONS}. A client that closes its connection while
 * an answer is pending is marked {@link #gone} (as nginx takes a closed connection for an aborted request), so that
 * the server can stop work nobody will read.
 */
final class HttpFront implements AutoCloseable {
    /** A request line longer than this gets 414. */
    static final int MAX_LINE = 8 * 1024;
    /** Header fields: at most this many bytes (names and values) and this many fields; more gets 431. */
    static final int MAX_HEADER_BYTES = 32 * 1024, MAX_HEADERS = 100;
    /** Open client connections at most; more are closed at once (the JDK server has the same cap). */
    static final int MAX_CONNECTIONS = 1000;
    /** Open connections from one client address at most; more are closed at once. */
    static final int MAX_CONNECTIONS_PER_CLIENT = 250;
    /** A request's head and body must arrive within this time of its first byte (else 408). */
    static final int REQUEST_TIMEOUT_MS = 10_000;
    /** REQUEST_TIMEOUT_MS, lowered by tests */
    static volatile int requestTimeoutMs = REQUEST_TIMEOUT_MS;
    /** A body over the limit is read (and dropped) up to this size so that the client sees the 413, not a reset. */
    private static final long DRAIN_MAX = 4L * 1024 * 1024;
    /** An idle connection (no request coming, no answer pending) is closed after this long. */
    private static final int READ_TIMEOUT_MS = 30_000;
    /** READ_TIMEOUT_MS, lowered by tests */
    static volatile int idleTimeoutMs = READ_TIMEOUT_MS;
    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
    }

    private final ServerSocket listener;
    private final InetSocketAddress upstream;
    private final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    private final Map<InetAddress, Integer> perClient = new ConcurrentHashMap<>();
    private final int maxBody;
    /** how long an answer may take to start (the server's queue wait and time limit, and a margin) */
    private final long answerWaitMs;
    /** upstream socket local ports whose client closed the connection before its answer was complete */
    private final Set<Integer> gone = ConcurrentHashMap.newKeySet();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    /** upstream socket's local port → the client it carries (the JDK server sees only the front's address) */
    private final Map<Integer, InetSocketAddress> clients = new ConcurrentHashMap<>();

    private HttpFront(ServerSocket listener, InetSocketAddress upstream, int maxBody, long answerWaitMs) {
        this.listener = listener;
        this.upstream = upstream;
        this.maxBody = maxBody;
        this.answerWaitMs = answerWaitMs;
    }

    /**
     * Listens on host:port (0 = any free port) and forwards to {@code upstream}; bodies over maxBody bytes get 413. A
     * client that waits for an answer is not idle: its connection stays open up to answerWaitMs after its request
     * (the server's queue wait and time limit), and while answer bytes flow.
     */
    static HttpFront start(String host, int port, InetSocketAddress upstream, int maxBody, long answerWaitMs) throws IOException {
        ServerSocket ss = new ServerSocket(port, 128, InetAddress.getByName(host));
        HttpFront f = new HttpFront(ss, upstream, maxBody, answerWaitMs);
        Thread t = new Thread(f::acceptLoop, "blt4j-http-front");
        t.setDaemon(true);
        t.start();
        return f;
    }

    InetSocketAddress address() {
        return (InetSocketAddress) listener.getLocalSocketAddress();
    }

    /** Whether the client behind the connection the JDK server saw from {@code seen} has closed it. */
    boolean gone(InetSocketAddress seen) {
        return seen != null && gone.contains(seen.getPort());
    }

    /** The client behind a connection the JDK server saw from {@code seen} (the front's side), else {@code seen}. */
    InetSocketAddress client(InetSocketAddress seen) {
        return seen == null ? null : clients.getOrDefault(seen.getPort(), seen);
    }

    @Override
    public void close() {
        closeQuietly(listener);
        open.forEach(HttpFront::closeQuietly);
    }

    /** Takes no new connections (a shutdown); those open go on until {@link #close}. */
    void stopAccepting() {
        closeQuietly(listener);
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            Socket c;
            try {
                c = listener.accept();
            } catch (IOException e) {
                continue;   // closed (the loop ends) or one failed accept
            }
            InetAddress from = c.getInetAddress();
            int[] mine = {0};
            perClient.compute(from, (a, n) -> (mine[0] = n == null ? 1 : n + 1));
            if (mine[0] > MAX_CONNECTIONS_PER_CLIENT || !connections.tryAcquire()) {
                release(from);
                closeQuietly(c);
                continue;
            }
            Thread.ofVirtual().name("blt4j-http-conn").start(() -> {
                try {
                    serve(c);
                } finally {
                    connections.release();
                    release(from);
                }
            });
        }
    }

    private void release(InetAddress from) {
        perClient.computeIfPresent(from, (a, n) -> n <= 1 ? null : n - 1);
    }

    /** Thrown by the request reader: answer with this JSON error, then close. */
    private static final class Refusal extends Exception {
        final int status;
        final String type;

        Refusal(int status, String type, String message) {
            super(message, null, false, false);
            this.status = status;
            this.type = type;
        }
    }

    private void serve(Socket client) {
        Socket up = new Socket();
        open.add(client);
        open.add(up);
        Thread pump = null;
        boolean[] refusing = {false};
        try {
            client.setSoTimeout(idleTimeoutMs);
            client.setTcpNoDelay(true);   // each piece is written whole and flushed: no Nagle wait on the next one
            up.setTcpNoDelay(true);
            up.connect(upstream, READ_TIMEOUT_MS);
            clients.put(up.getLocalPort(), (InetSocketAddress) client.getRemoteSocketAddress());
            Activity activity = new Activity();
            pump = Thread.ofVirtual().name("blt4j-http-pump").start(() -> {
                try {
                    copyAnswers(up.getInputStream(), client.getOutputStream(), activity);
                } catch (IOException ignored) {
                    // either side went away
                } finally {
                    synchronized (refusing) {
                        if (!refusing[0]) closeQuietly(client);   // else the reader still writes its refusal
                    }
                }
            });
            Timed timed = new Timed(client);
            InputStream in = new BufferedInputStream(timed);
            OutputStream out = up.getOutputStream();
            try {
                boolean more;
                do {
                    try {
                        more = forwardRequest(in, timed, out, activity);
                    } catch (IOException e) {   // reset, or a read timeout between or inside requests
                        gone.add(up.getLocalPort());
                        throw e;
                    }
                } while (more);
                // the client closed its side (or its body broke): an answer still being made is for nobody
                gone.add(up.getLocalPort());
                up.shutdownOutput();   // the JDK server finishes and closes
                pump.join(answerWaitMs);
            } catch (Refusal r) {
                synchronized (refusing) {
                    refusing[0] = true;
                }
                up.shutdownOutput();   // answers to earlier requests on this connection go out first
                pump.join(answerWaitMs);
                writeError(client.getOutputStream(), r);
            }
        } catch (IOException | InterruptedException ignored) {
            // the client went away, timed out, or the server is closing
        } finally {
            clients.remove(up.getLocalPort());
            gone.remove(up.getLocalPort());
            closeQuietly(client);
            closeQuietly(up);
            open.remove(client);
            open.remove(up);
        }
    }

    /** When a connection last forwarded a request and last passed on answer bytes (System.nanoTime), and which came last. */
    private static final class Activity {
        volatile long forwarded, answered;
        /** a request was forwarded and no answer byte has come since */
        volatile boolean pending;
        /** answer bytes have come on this connection */
        volatile boolean anyAnswer;
    }

    private static void copyAnswers(InputStream from, OutputStream to, Activity activity) throws IOException {
        byte[] buf = new byte[16 * 1024];
        for (int n; (n = from.read(buf)) >= 0; ) {
            to.write(buf, 0, n);
            to.flush();   // server-sent events go out as they are made
            activity.answered = System.nanoTime();
            activity.anyAnswer = true;
            activity.pending = false;
        }
    }

    /**
     * The first byte of the next request, or -1 at the end of the connection. A connection times out only when idle:
     * not while the answer to its last request has not begun (up to answerWaitMs), nor within idleTimeoutMs of
     * its last answer bytes (a stream going on).
     */
    private int firstByte(InputStream in, Activity activity) throws IOException {
        while (true) {
            try {
                return in.read();
            } catch (java.net.SocketTimeoutException e) {
                long now = System.nanoTime();
                boolean waiting = activity.pending && now - activity.forwarded < answerWaitMs * 1_000_000L;
                boolean streaming = activity.anyAnswer && now - activity.answered < idleTimeoutMs * 1_000_000L;
                if (!waiting && !streaming) throw e;
            }
        }
    }

    /**
     * One request, read whole (head checked, body framed) within REQUEST_TIMEOUT_MS of its first byte, then forwarded.
     * False at the end of the connection, or after forwarding a body that broke off or is malformed (the JDK server
     * then answers 400).
     */
    private boolean forwardRequest(InputStream in, Timed timed, OutputStream out, Activity activity) throws IOException, Refusal {
        in.mark(1);
        if (firstByte(in, activity) < 0) return false;   // the client closed the connection between requests
        in.reset();
        int timeoutMs = requestTimeoutMs;
        timed.deadline(System.nanoTime() + timeoutMs * 1_000_000L);
        try {
            ByteArrayOutputStream request = new ByteArrayOutputStream(1024);
            boolean complete = readRequest(in, request);
            request.writeTo(out);
            out.flush();
            activity.forwarded = System.nanoTime();
            activity.pending = true;
            return complete;
        } catch (java.net.SocketTimeoutException e) {
            throw new Refusal(408, "request_timeout", "the request did not arrive in time: its head and body must arrive"
                    + " within " + timeoutMs / 1000.0 + " s of its first byte");
        } finally {
            timed.deadline(0);
        }
    }

    /** Reads one request into {@code out}; false when its body broke off or is malformed (what came is in out). */
    private boolean readRequest(InputStream in, ByteArrayOutputStream out) throws IOException, Refusal {
        String requestLine;
        do {
            requestLine = line(in, MAX_LINE, 414, "the request line");
            if (requestLine == null) throw new Refusal(400, "invalid_request_error", "the request ended inside its request line");
        } while (requestLine.isEmpty());
        ByteArrayOutputStream head = new ByteArrayOutputStream(512);
        head.writeBytes((requestLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        checkRequestLine(requestLine);

        long contentLength = -1;
        int lengths = 0, fields = 0, bytes = 0;
        String transferEncoding = null;
        while (true) {
            String h = line(in, MAX_HEADER_BYTES + 2 - bytes, 431, "the header fields");
            if (h == null) throw new Refusal(400, "invalid_request_error", "the request ended inside its header fields");
            head.writeBytes((h + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (h.isEmpty()) break;
            bytes += h.length() + 2;
            if (++fields > MAX_HEADERS)
                throw new Refusal(431, "request_header_fields_too_large", "more than " + MAX_HEADERS + " header fields");
            int colon = h.indexOf(':');
            if (colon <= 0 || !isToken(h.substring(0, colon)))
                throw new Refusal(400, "invalid_request_error", "malformed header field: " + shorten(h));
            String name = h.substring(0, colon).toLowerCase(Locale.ROOT), value = h.substring(colon + 1).strip();
            if (name.equals("content-length")) {
                lengths++;
                try {
                    contentLength = Long.parseLong(value);
                } catch (NumberFormatException e) {
                    contentLength = -2;
                }
                if (contentLength < 0 || lengths > 1 || value.startsWith("+"))
                    throw new Refusal(400, "invalid_request_error", "Content-Length must be one number >= 0, got " + shorten(value));
            } else if (name.equals("transfer-encoding")) {
                if (transferEncoding != null || !value.equalsIgnoreCase("chunked"))
                    throw new Refusal(501, "not_implemented", "Transfer-Encoding '" + shorten(value) + "' is not supported (only chunked)");
                transferEncoding = value;
            }
        }
        if (transferEncoding != null && lengths > 0)
            throw new Refusal(400, "invalid_request_error", "a request may not have both Content-Length and Transfer-Encoding");
        if (contentLength > maxBody) {
            if (contentLength <= DRAIN_MAX) copy(in, OutputStream.nullOutputStream(), contentLength);
            throw tooLarge("the body is " + contentLength + " bytes; at most " + maxBody + " are allowed");
        }
        head.writeTo(out);
        if (transferEncoding != null) return readChunked(in, out);
        return contentLength <= 0 || copy(in, out, contentLength) == contentLength;
    }

    private Refusal tooLarge(String message) {
        return new Refusal(413, "request_too_large", message);
    }

    /** Copies exactly n bytes (fewer when the client stops sending); returns how many. */
    private static long copy(InputStream in, OutputStream out, long n) throws IOException {
        byte[] buf = new byte[16 * 1024];
        long done = 0;
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) break;
            out.write(buf, 0, r);
            done += r;
        }
        return done;
    }

    /**
     * A chunked body, framing checked; false (stop reading) when it is malformed: the handler then answers 400. Over
     * maxBody bytes of data: 413.
     */
    private boolean readChunked(InputStream in, OutputStream out) throws IOException, Refusal {
        long data = 0;
        Refusal over = null;   // past the limit: the rest is read (up to DRAIN_MAX) and dropped, then 413
        while (true) {
            String size = chunkLine(in);
            if (size == null) return broken(over);
            out.write((size + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            int semi = size.indexOf(';');
            String hex = (semi < 0 ? size : size.substring(0, semi)).strip();
            long n;
            try {
                n = hex.isEmpty() || hex.length() > 15 || hex.startsWith("+") ? -1 : Long.parseLong(hex, 16);
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0) return broken(over);
            if ((data += n) > maxBody && over == null) {
                over = tooLarge("the body is over " + maxBody + " bytes; at most " + maxBody + " are allowed");
                out = OutputStream.nullOutputStream();
            }
            if (over != null && data > DRAIN_MAX) throw over;
            if (n == 0) {   // trailer fields, then the empty line
                while (true) {
                    String t = chunkLine(in);
                    if (t == null) return broken(over);
                    out.write((t + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    if (t.isEmpty()) return !broken(over);   // the whole body: refused if over the limit
                }
            }
            if (copy(in, out, n) != n || !"".equals(chunkLine(in))) return broken(over);
            out.write(CRLF);
        }
    }

    /** A body that ended or broke: false (the handler answers 400), or the 413 when it was already over the limit. */
    private static boolean broken(Refusal over) throws Refusal {
        if (over != null) throw over;
        return false;
    }

    private static final byte[] CRLF = {'\r', '\n'};

    private static String chunkLine(InputStream in) throws IOException {
        try {
            return line(in, MAX_LINE, 400, "a chunk header");
        } catch (Refusal r) {
            return null;
        }
    }

    /**
     * A line ending in CRLF (without it), ISO-8859-1; null at the end of the stream before any byte. A bare CR or LF,
     * or a NUL, is refused with 400; a line longer than max with {@code tooLong}.
     */
    private static String line(InputStream in, int max, int tooLong, String what) throws IOException, Refusal {
        StringBuilder b = new StringBuilder();
        while (true) {
            int c = in.read();
            if (c < 0) {
                if (b.isEmpty()) return null;
                throw new Refusal(400, "invalid_request_error", "the request ended inside " + what);
            }
            if (c == '\r') {
                if (in.read() != '\n') throw new Refusal(400, "invalid_request_error", "a bare CR in " + what + ": lines end in CRLF");
                return b.toString();
            }
            if (c == '\n' || c == 0) throw new Refusal(400, "invalid_request_error", (c == 0 ? "a NUL byte" : "a bare LF") + " in " + what + ": lines end in CRLF");
            if (b.length() >= max)
                throw new Refusal(tooLong, tooLong == 431 ? "request_header_fields_too_large" : tooLong == 414 ? "uri_too_long"
                        : "invalid_request_error", what + " exceed" + (what.endsWith("s") ? "" : "s") + " " + max + " bytes");
            b.append((char) c);
        }
    }

    /** METHOD SP /path SP HTTP/1.x, the path a URI the JDK server parses. */
    private static void checkRequestLine(String line) throws Refusal {
        String[] parts = line.split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || !isToken(parts[0]))
            throw new Refusal(400, "invalid_request_error", "malformed request line: " + shorten(line));
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0"))
            throw new Refusal(505, "http_version_not_supported", "HTTP version '" + shorten(parts[2]) + "' is not supported (HTTP/1.1 or 1.0)");
        URI uri;
        try {
            uri = new URI(parts[1]);
        } catch (URISyntaxException e) {
            throw new Refusal(400, "invalid_request_error", "the request target is not a valid URI: " + shorten(parts[1]));
        }
        if (uri.getRawPath() == null || !uri.getRawPath().startsWith("/"))
            throw new Refusal(400, "invalid_request_error", "the request target must be a path starting with '/', got " + shorten(parts[1]));
    }

    private static boolean isToken(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 128 || !TCHAR[c]) return false;
        }
        return true;
    }

    private static String shorten(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 80; i++) {
            char c = s.charAt(i);
            b.append(c < 0x20 || c >= 0x7f ? '?' : c);
        }
        return s.length() > 80 ? b + "..." : b.toString();
    }

    private static void writeError(OutputStream out, Refusal r) throws IOException {
        ObjectNode err = Json.MAPPER.createObjectNode();
        ObjectNode inner = err.putObject("error").put("message", r.getMessage()).put("type", r.type);
        inner.putNull("param");
        inner.put("code", r.status);
        byte[] body = Json.MAPPER.writeValueAsBytes(err);
        String head = "HTTP/1.1 " + r.status + " " + reason(r.status) + "\r\nContent-Type: application/json; charset=utf-8\r\n"
                + "X-Content-Type-Options: nosniff\r\nContent-Length: " + body.length + "\r\nConnection: close\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    private static String reason(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 408 -> "Request Timeout";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 501 -> "Not Implemented";
            case 505 -> "HTTP Version Not Supported";
            default -> "Error";
        };
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // closing
        }
    }

    /** The client's input with an optional deadline: each read waits at most until it (and idleTimeoutMs at most). */
    private static final class Timed extends InputStream {
        private final Socket socket;
        private final InputStream in;
        private long deadline;   // System.nanoTime(); 0: none

        Timed(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        void deadline(long nanos) {
            deadline = nanos;
        }

        private void arm() throws IOException {
            int ms = idleTimeoutMs;
            if (deadline != 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) throw new java.net.SocketTimeoutException("request deadline passed");
                ms = (int) Math.min(ms, left);
            }
            socket.setSoTimeout(ms);
        }

        @Override
        public int read() throws IOException {
            arm();
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            arm();
            return in.read(b, off, len);
        }
    }
}
