package io.travelart.image.store;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.travelart.image.ImageFormat;
import io.travelart.core.http.HttpServers;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * Serves the directory image store over HTTP: {@code GET /images/<name>} (and HEAD). The JDK server; start the
 * JVM with {@code -Dsun.net.httpserver.nodelay=true}, else every response waits ~45 ms for Nagle.
 */
public final class ImageServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    private ImageServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Downloads served at once. */
    static final int MAX_CONNECTIONS = 64;

    public static ImageServer start(String host, int port, FileSystemImageStore store) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 128);
        // A thread per download up to the cap: a slow reader holds its own, and stalled requests are cut off.
        ExecutorService executor = HttpServers.executor("image", MAX_CONNECTIONS);
        server.setExecutor(executor);
        server.createContext("/images/", exchange -> serve(exchange, store));
        server.start();
        return new ImageServer(server, executor);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void serve(HttpExchange exchange, FileSystemImageStore store) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            String name = exchange.getRequestURI().getPath().substring("/images/".length());
            Optional<Path> file = store.file(name);
            if (file.isEmpty()) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            long size = Files.size(file.get());
            exchange.getResponseHeaders().set("Content-Type", ImageFormat.contentTypeOf(name));
            exchange.getResponseHeaders().set("Cache-Control", "public, max-age=31536000, immutable");
            if ("HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Content-Length", Long.toString(size));
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, size);
            try (OutputStream out = exchange.getResponseBody()) {
                Files.copy(file.get(), out);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
