package io.travelart.gallery;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.travelart.core.http.HttpServers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gallery over HTTP, on the JDK's server: {@code GET /} the page (filters {@code q} and {@code source}),
 * {@code GET /cards?kind=ready|failed&before=SEQ} older cards as HTML, {@code GET /events} the live stream
 * (server-sent events, resuming after {@code after} or {@code Last-Event-ID}), and the page's CSS and script.
 *
 * <p>The JDK server is enough for this: an event stream is a response that is never finished, written and
 * flushed per event. Each open stream holds one thread, so streams are capped ({@value #MAX_STREAMS}; more
 * are answered 503) and the pool keeps threads for pages beside them. A comment every
 * {@value #KEEP_ALIVE_SECONDS} s finds viewers that are gone.
 */
final class GalleryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GalleryServer.class);
    static final int MAX_STREAMS = 32;
    /** A browser opens at most six connections to a host: more streams from one address are not one viewer's tabs. */
    static final int MAX_STREAMS_PER_CLIENT = 6;
    static final int PAGE = 60;
    private static final int KEEP_ALIVE_SECONDS = 15;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{\\{([A-Z_]+)}}");

    private final HttpServer server;
    private final ExecutorService executor;
    private final GalleryState state;
    private final CardHtml html;
    private final Semaphore streams = new Semaphore(MAX_STREAMS);
    private final Map<java.net.InetAddress, Integer> streamsByClient = new HashMap<>();
    private final String template = resource("page.html");
    private final byte[] css = resource("gallery.css").getBytes(StandardCharsets.UTF_8);
    private final byte[] js = resource("gallery.js").getBytes(StandardCharsets.UTF_8);

    private GalleryServer(HttpServer server, ExecutorService executor, GalleryState state, CardHtml html) {
        this.server = server;
        this.executor = executor;
        this.state = state;
        this.html = html;
    }

    static GalleryServer start(String host, int port, GalleryState state, CardHtml html) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
        // Room for every stream and as many page requests beside them; a request still sending its headers after
        // HttpServers.REQUEST_SECONDS is cut off.
        ExecutorService executor = HttpServers.executor("gallery", 2 * MAX_STREAMS);
        server.setExecutor(executor);
        GalleryServer gallery = new GalleryServer(server, executor, state, html);
        server.createContext("/", gallery::handle);
        server.start();
        return gallery;
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod())) {
                exchange.getResponseHeaders().set("Allow", "GET");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            Filter filter = new Filter(query.get("q"), query.get("source"));
            switch (exchange.getRequestURI().getPath()) {
                case "/" -> send(exchange, 200, "text/html; charset=utf-8", page(filter).getBytes(StandardCharsets.UTF_8));
                case "/cards" -> cards(exchange, query, filter);
                case "/events" -> events(exchange, query, filter);
                case "/gallery.css" -> send(exchange, 200, "text/css; charset=utf-8", css);
                case "/gallery.js" -> send(exchange, 200, "text/javascript; charset=utf-8", js);
                case "/health" -> send(exchange, 200, "text/plain; charset=utf-8", "ok\n".getBytes(StandardCharsets.UTF_8));
                default -> send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            log.debug("gallery request ended: {}", e.getMessage());
        }
    }

    private String page(Filter filter) {
        long last = state.lastSeq();
        List<Card> ready = state.page(true, filter, last + 1, PAGE);
        List<Card> failed = state.page(false, filter, last + 1, PAGE / 2);
        List<Progress> progress = state.progress(filter, PAGE);
        Map<String, String> values = new HashMap<>();
        values.put("LAST_SEQ", Long.toString(last));
        values.put("Q", Html.escape(filter.text()));
        values.put("SOURCE", Html.escape(filter.source()));
        values.put("READY_COUNT", Integer.toString(ready.size()));
        values.put("FAILED_COUNT", Integer.toString(failed.size()));
        values.put("PROGRESS_COUNT", Integer.toString(progress.size()));
        values.put("READY", render(progress) + render(ready));
        values.put("FAILED", render(failed));
        values.put("READY_EMPTY_HIDDEN", ready.isEmpty() && progress.isEmpty() ? "" : " hidden");
        values.put("FAILED_EMPTY_HIDDEN", failed.isEmpty() ? "" : " hidden");
        values.put("READY_MORE_HIDDEN", ready.size() < PAGE ? " hidden" : "");
        values.put("FAILED_MORE_HIDDEN", failed.size() < PAGE / 2 ? " hidden" : "");
        // One pass over the template: what a value holds (a keyword "{{READY}}") is never read as a placeholder.
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder(template.length() + 64 * 1024);
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(values.get(m.group(1))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String render(List<? extends Shown> cards) {
        StringBuilder out = new StringBuilder();
        cards.forEach(card -> out.append(html.render(card)).append('\n'));
        return out.toString();
    }

    private void cards(HttpExchange exchange, Map<String, String> query, Filter filter) throws IOException {
        boolean ready = !"failed".equals(query.get("kind"));
        long before = number(query.get("before"), Long.MAX_VALUE);
        int limit = ready ? PAGE : PAGE / 2;
        List<Card> cards = state.page(ready, filter, before, limit + 1);
        boolean more = cards.size() > limit;
        exchange.getResponseHeaders().set("X-More", Boolean.toString(more));
        send(exchange, 200, "text/html; charset=utf-8",
                render(more ? cards.subList(0, limit) : cards).getBytes(StandardCharsets.UTF_8));
    }

    private void events(HttpExchange exchange, Map<String, String> query, Filter filter) throws IOException {
        java.net.InetAddress client = exchange.getRemoteAddress().getAddress();
        if (!openStream(client)) {
            exchange.getResponseHeaders().set("Retry-After", "10");
            send(exchange, 429, "text/plain; charset=utf-8", ("more than " + MAX_STREAMS_PER_CLIENT
                    + " open streams from one address\n").getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (!streams.tryAcquire()) {
            closeStream(client);
            exchange.getResponseHeaders().set("Retry-After", "10");
            send(exchange, 503, "text/plain; charset=utf-8", "too many open streams\n".getBytes(StandardCharsets.UTF_8));
            return;
        }
        BlockingQueue<Shown> queue = new LinkedBlockingQueue<>(10_000);
        Consumer<Shown> listener = card -> {
            if (filter.matches(card) && !queue.offer(card)) {
                log.warn("a gallery viewer is {} cards behind; dropping its newest", queue.size());
            }
        };
        state.listen(listener);
        try {
            long after = number(exchange.getRequestHeaders().getFirst("Last-Event-ID"), number(query.get("after"), state.lastSeq()));
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
            exchange.getResponseHeaders().set("Cache-Control", "no-cache");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            out.write("retry: 2000\n\n".getBytes(StandardCharsets.UTF_8));
            // What arrived between the page and this stream, then what arrives from now on; each card once.
            long sent = after;
            for (Shown card : state.since(after, filter)) {
                write(out, card);
                sent = card.seq();
            }
            out.flush();
            while (!Thread.currentThread().isInterrupted()) {
                Shown card = queue.poll(KEEP_ALIVE_SECONDS, TimeUnit.SECONDS);
                if (card == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.UTF_8));
                } else if (card.seq() > sent) {
                    write(out, card);
                    sent = card.seq();
                }
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            state.unlisten(listener);
            streams.release();
            closeStream(client);
        }
    }

    private synchronized boolean openStream(java.net.InetAddress client) {
        int open = streamsByClient.getOrDefault(client, 0);
        if (open >= MAX_STREAMS_PER_CLIENT) {
            return false;
        }
        streamsByClient.put(client, open + 1);
        return true;
    }

    private synchronized void closeStream(java.net.InetAddress client) {
        streamsByClient.computeIfPresent(client, (c, open) -> open > 1 ? open - 1 : null);
    }

    private void write(OutputStream out, Shown card) throws IOException {
        String kind = switch (card) {
            case Card c when c.ready() -> "ready";
            case Card c -> "failed";
            case Progress p -> "progress";
        };
        String event = "id: " + card.seq() + "\nevent: " + kind + "\ndata: " + html.render(card) + "\n\n";
        out.write(event.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> values = new HashMap<>();
        if (raw == null || raw.isEmpty()) {
            return values;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            values.putIfAbsent(name, value);
        }
        return values;
    }

    private static long number(String text, long otherwise) {
        try {
            return text == null || text.isBlank() ? otherwise : Long.parseLong(text.trim());
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }

    private static String resource(String name) {
        try (InputStream in = GalleryServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
