package io.travelart.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.travelart.core.http.HttpServers;
import io.travelart.core.json.Json;
import io.travelart.core.results.RequestStatus;
import io.travelart.core.time.Time;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestCancelled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The HTTP API on the JDK's server (no framework: five routes, JSON in and out):
 * <ul>
 *   <li>{@code POST /v1/requests}: a request ({@link NewRequest}) → 202 with its id and status URL; {@code Idempotency-Key}
 *       makes a retry answer the same id without publishing again ({@link Intake})</li>
 *   <li>{@code GET /v1/requests/{id}}: where it is ({@link StatusJson})</li>
 *   <li>{@code POST /v1/requests/{id}/cancel}: records a cancel → 202; 409 when it has ended already</li>
 *   <li>{@code GET /v1/openapi.json}: the description of all this; {@code GET /health}</li>
 * </ul>
 * Every {@code /v1/requests} call needs {@code Authorization: Bearer <key>} ({@link ApiKeys}); the key's source system
 * is the request's, and a client sees only its own requests (another's id is 404, as an unknown one). Each key holder
 * has a rate limit ({@link KeyRates}): over it, 429 with {@code Retry-After}. Bodies are read to 64 KiB at most, within
 * the server's request time.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final ObjectMapper JSON = Json.mapper();
    static final int MAX_BODY = 64 * 1024;
    private static final Pattern REQUEST = Pattern.compile("/v1/requests/([^/]+)(/cancel)?");

    private final HttpServer server;
    private final ApiKeys keys;
    private final KeyRates rates;
    private final Intake intake;
    private final Statuses statuses;
    private final Time time;
    private final int keywordMax;
    private final byte[] openApi;
    private final Timer submits;

    ApiServer(String host, int port, ApiKeys keys, int perMinute, Intake intake, Statuses statuses, int keywordMax, Time time,
              MeterRegistry registry) throws IOException {
        this.keys = keys;
        this.rates = new KeyRates(perMinute, time);
        this.intake = intake;
        this.statuses = statuses;
        this.time = time;
        this.keywordMax = keywordMax;
        try (InputStream in = ApiServer.class.getResourceAsStream("openapi.json")) {
            this.openApi = in.readAllBytes();
        }
        this.submits = Timer.builder("travelart.api.submit").description("POST /v1/requests, from the request read to the answer")
                .publishPercentiles(0.5, 0.99).register(registry);
        this.server = HttpServers.create("api", host, port, 256);
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange exchange) {
        // The answer must go out before the exchange closes: the errors are caught inside, not by the try that closes it.
        try (exchange) {
            route(exchange);
        }
    }

    private void route(HttpExchange exchange) {
        try {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            if (path.equals("/health")) {
                send(exchange, 200, JSON.createObjectNode().put("status", "up"));
            } else if (path.equals("/v1/openapi.json")) {
                only(exchange, method, "GET");
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, openApi.length);
                exchange.getResponseBody().write(openApi);
            } else if (path.equals("/v1/requests")) {
                only(exchange, method, "POST");
                authorized(exchange).ifPresent(source -> submit(exchange, source));
            } else {
                Matcher m = REQUEST.matcher(path);
                if (!m.matches()) {
                    error(exchange, 404, null, "no such resource: " + RequestBounds.shown(path));
                    return;
                }
                only(exchange, method, m.group(2) == null ? "GET" : "POST");
                String id = java.net.URLDecoder.decode(m.group(1), StandardCharsets.UTF_8);
                Optional<String> source = authorized(exchange);
                if (source.isPresent()) {
                    if (m.group(2) == null) {
                        status(exchange, source.get(), id);
                    } else {
                        cancel(exchange, source.get(), id);
                    }
                }
            }
        } catch (WrongMethod e) {
            exchange.getResponseHeaders().set("Allow", e.allowed);
            error(exchange, 405, null, "use " + e.allowed + " here");
        } catch (IOException | UncheckedIOException e) {
            log.debug("API: a client went away: {}", e.toString());
        } catch (RuntimeException e) {
            log.error("API: {} {} failed", exchange.getRequestMethod(), RequestBounds.shown(exchange.getRequestURI().getRawPath()), e);
            try {
                error(exchange, 503, null, "the request could not be handled now (Kafka or the registry may be away); try again");
            } catch (RuntimeException answeredAlready) {
                log.debug("API: no error answer possible: {}", answeredAlready.toString());
            }
        }
    }

    private static final class WrongMethod extends RuntimeException {
        final String allowed;

        WrongMethod(String allowed) {
            super(null, null, false, false);
            this.allowed = allowed;
        }
    }

    private static void only(HttpExchange exchange, String method, String allowed) {
        if (!method.equals(allowed)) {
            throw new WrongMethod(allowed);
        }
    }

    /** The key's source system, after its rate limit; empty when it answered 401 or 429 already. */
    private Optional<String> authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        Optional<String> source = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? keys.source(header.substring(7).strip()) : Optional.empty();
        if (source.isEmpty()) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            error(exchange, 401, null, header == null ? "an API key is needed: Authorization: Bearer <key>" : "that API key is not known");
            return Optional.empty();
        }
        Optional<Duration> wait = rates.take(source.get());
        if (wait.isPresent()) {
            exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, (wait.get().toMillis() + 999) / 1000)));
            error(exchange, 429, null, "over this key's rate limit; retry after the Retry-After seconds");
            return Optional.empty();
        }
        return source;
    }

    private void submit(HttpExchange exchange, String source) {
        long started = System.nanoTime();
        byte[] body = body(exchange);
        if (body == null) {
            error(exchange, 413, null, "the body is over " + MAX_BODY + " bytes");
            return;
        }
        String idempotencyKey = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 255
                || idempotencyKey.codePoints().anyMatch(c -> c < 0x20 || c > 0x7e))) {
            error(exchange, 400, "Idempotency-Key", "Idempotency-Key is 1 to 255 printable ASCII characters");
            return;
        }
        NewRequest.Parsed parsed = NewRequest.parse(body, source, RequestIds.next(), time.instant(), keywordMax);
        if (!parsed.ok()) {
            errors(exchange, 422, parsed.errors());
            return;
        }
        Intake.Outcome outcome = intake.submit(parsed.request(), idempotencyKey, body);
        switch (outcome) {
            case Intake.Outcome.Created(String id) -> accepted(exchange, id, false);
            case Intake.Outcome.Repeated(String id) -> accepted(exchange, id, true);
            case Intake.Outcome.Conflict(String id) -> error(exchange, 422, "Idempotency-Key",
                    "this Idempotency-Key was used for another body (request " + id + ")");
        }
        submits.record(Duration.ofNanos(System.nanoTime() - started));
    }

    private void accepted(HttpExchange exchange, String id, boolean repeated) {
        String url = "/v1/requests/" + id;
        exchange.getResponseHeaders().set("Location", url);
        if (repeated) {
            exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
        }
        send(exchange, 202, JSON.createObjectNode().put("requestId", id).put("statusUrl", url).put("state", "WRITING_PROMPT"));
    }

    /** Own requests only: another source's is not found, as an unknown one is. */
    private Optional<RequestStatus> own(String source, String id) {
        if (!RequestBounds.isRequestId(id)) {
            return Optional.empty();
        }
        return statuses.find(id).filter(s -> s.sourceSystem().map(source::equals).orElse(false));
    }

    private void status(HttpExchange exchange, String source, String id) {
        Optional<RequestStatus> status = own(source, id);
        if (status.isEmpty()) {
            error(exchange, 404, null, "no request " + RequestBounds.shown(id) + " of " + source);
            return;
        }
        send(exchange, 200, StatusJson.of(status.get()));
    }

    private void cancel(HttpExchange exchange, String source, String id) {
        byte[] body = body(exchange);
        String reason = null;
        if (body != null && body.length > 0) {
            try {
                var node = JSON.readTree(body);
                reason = node != null && node.path("reason").isTextual() ? node.path("reason").asText() : null;
            } catch (IOException e) {
                error(exchange, 400, null, "the body is not JSON");
                return;
            }
        }
        Optional<RequestStatus> status = own(source, id);
        if (status.isEmpty()) {
            error(exchange, 404, null, "no request " + RequestBounds.shown(id) + " of " + source);
            return;
        }
        if (status.get().state().isFinal()) {
            ObjectNode node = StatusJson.of(status.get());
            node.putArray("errors").addObject().put("message", "the request has ended (" + status.get().state().words() + ")");
            send(exchange, 409, node);
            return;
        }
        RequestCancelled cancel = RequestCancelled.newBuilder().setRequestId(id).setReason(reason)
                .setCancelledBy("api:" + source).setCancelledAt(time.instant()).build();
        Optional<String> problem = RequestBounds.problem(cancel);
        if (problem.isPresent()) {
            error(exchange, 422, "reason", problem.get());
            return;
        }
        intake.cancel(cancel);
        send(exchange, 202, JSON.createObjectNode().put("requestId", id).put("cancel", "recorded")
                .put("statusUrl", "/v1/requests/" + id));
    }

    /** The body, or null when it is over {@link #MAX_BODY}. */
    private static byte[] body(HttpExchange exchange) {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            return bytes.length > MAX_BODY ? null : bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void errors(HttpExchange exchange, int status, Map<String, String> errors) {
        ObjectNode node = JSON.createObjectNode();
        ArrayNode list = node.putArray("errors");
        errors.forEach((field, message) -> {
            ObjectNode e = list.addObject();
            if (field != null) {
                e.put("field", field);
            }
            e.put("message", message);
        });
        send(exchange, status, node);
    }

    private static void error(HttpExchange exchange, int status, String field, String message) {
        Map<String, String> one = new java.util.LinkedHashMap<>();
        one.put(field, message);
        errors(exchange, status, one);
    }

    private static void send(HttpExchange exchange, int status, ObjectNode node) {
        try {
            byte[] bytes = JSON.writeValueAsBytes(node);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(1);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
}
