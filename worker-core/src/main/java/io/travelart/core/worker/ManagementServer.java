package io.travelart.core.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.travelart.core.http.HttpServers;
import io.travelart.core.metrics.WorkerMetrics;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A worker's operations endpoints, on their own port: {@code GET /metrics} (Prometheus text format),
 * {@code GET /health/live} and {@code GET /health/ready} (200 or 503 with the reason, for Kubernetes
 * probes and container health checks). Every answer comes from state in memory (readiness from what a
 * timer last found), never from a network call on the request's thread, and no client can hold the server
 * ({@link HttpServers}).
 */
public final class ManagementServer implements AutoCloseable {

    public static final String METRICS_PATH = "/metrics";
    public static final String LIVE_PATH = "/health/live";
    public static final String READY_PATH = "/health/ready";
    /**
     * Connections worked on at once: a probe answers within a second while this many less one stall their
     * requests (each for at most {@link HttpServers#REQUEST_SECONDS}).
     */
    static final int MAX_CONNECTIONS = 64;

    /** What the probes ask: a reason when the answer is no. */
    public interface Health {
        Optional<String> notLive();

        Optional<String> notReady();
    }

    private final HttpServer server;

    private ManagementServer(HttpServer server) {
        this.server = server;
    }

    public static ManagementServer start(String host, int port, WorkerMetrics metrics, Supplier<Health> health) throws IOException {
        HttpServer server = HttpServers.create("management", host, port, MAX_CONNECTIONS);
        server.createContext(METRICS_PATH, exchange -> answer(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
        server.createContext(LIVE_PATH, exchange -> probe(exchange, health.get().notLive()));
        server.createContext(READY_PATH, exchange -> probe(exchange, health.get().notReady()));
        server.createContext("/", exchange -> answer(exchange, 404, "text/plain; charset=utf-8",
                "not found; try " + METRICS_PATH + ", " + LIVE_PATH + " or " + READY_PATH + "\n"));
        server.start();
        return new ManagementServer(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void probe(HttpExchange exchange, Optional<String> problem) throws IOException {
        String body = problem.map(p -> "{\"status\":\"DOWN\",\"reason\":\"" + p.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}")
                .orElse("{\"status\":\"UP\"}");
        answer(exchange, problem.isPresent() ? 503 : 200, "application/json", body + "\n");
    }

    private static void answer(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        try (exchange) {
            if (!"GET".equals(exchange.getRequestMethod()) && !"HEAD".equals(exchange.getRequestMethod())) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", contentType);
            boolean head = "HEAD".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(bytes);
                }
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
