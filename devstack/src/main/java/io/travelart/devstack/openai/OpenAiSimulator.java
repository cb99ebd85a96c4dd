package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An OpenAI-compatible HTTP server for tests, benchmarks and the offline demo: {@code POST /v1/chat/completions},
 * {@code POST /v1/images/generations} (b64_json, or url mode with expiring links under {@code /v1/simulator/files/}),
 * {@code POST /v1/moderations}, {@code GET /v1/models}, and the Files and Batch APIs, with response bodies shaped like
 * OpenAI's published OpenAPI description so that the SDK's strict validation accepts them. This class is the routes and
 * the switches a test turns; each concern is a class of its own: {@link Admission} (method, key, body, limits,
 * faults), {@link SimulatedPrompts}, {@link ImageAnswers}, {@link SimulatedModeration}, {@link SimulatedModels},
 * {@link SimulatedBatches} and {@link SimulatedFiles}, and the {@link CallLedger}. Latency, refusals and faults come
 * from {@link SimulatorSettings}; calls are counted per request id (header {@code X-Client-Request-Id}) so tests can
 * prove that nothing was paid for twice. Every call is answered: a handler that fails answers 500.
 */
public final class OpenAiSimulator implements AutoCloseable {

    public enum Endpoint { CHAT, IMAGES, MODERATIONS, MODELS }

    /** One call as the simulator saw it: what was sent and what it answered. */
    public record Exchange(Endpoint endpoint, JsonNode request, int status, JsonNode response) {
    }

    public static final String REQUEST_ID_HEADER = "X-Client-Request-Id";
    private static final String REQUEST_ATTRIBUTE = "travelart.request";

    private static final Logger log = LoggerFactory.getLogger(OpenAiSimulator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ExecutorService executor;
    private volatile SimulatorSettings settings;
    private volatile boolean modelsEndpoint = true;
    private final CallLedger ledger = new CallLedger();
    private final Account account = new Account(new SimulatedModels(Clock.systemUTC()));
    private final Admission admission = new Admission(account, ledger, this::settings);
    private final SimulatedPrompts prompts = new SimulatedPrompts(account, this::settings);
    private final ImageAnswers images;
    private final SimulatedModeration moderation = new SimulatedModeration(account);
    private final SimulatedBatches batches;

    private OpenAiSimulator(HttpServer server, ExecutorService executor, SimulatorSettings settings) {
        this.server = server;
        this.executor = executor;
        this.settings = settings;
        this.images = new ImageAnswers(account, this::settings,
                () -> "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/simulator/files/");
        this.batches = new SimulatedBatches(Clock.systemUTC(), (endpoint, body) -> endpoint.equals("/v1/images/generations")
                ? images.imageAnswer(body, false) : prompts.chatAnswer(body, false), images::imageBytes);
    }

    public static OpenAiSimulator start(SimulatorSettings settings) {
        return start(0, settings);
    }

    public static OpenAiSimulator start(int port, SimulatorSettings settings) {
        return start(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), settings);
    }

    /** On any address, e.g. 0.0.0.0 in a container that other containers call. */
    public static OpenAiSimulator start(InetSocketAddress address, SimulatorSettings settings) {
        try {
            HttpServer server = HttpServer.create(address, 512);
            // Simulated latency sleeps in handler threads: a virtual thread per exchange, so that thousands of calls in
            // flight cost the simulator little, and a bench measures the worker, not the simulator.
            ExecutorService executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("openai-simulator-", 0).factory());
            server.setExecutor(executor);
            OpenAiSimulator simulator = new OpenAiSimulator(server, executor, settings);
            simulator.routes();
            server.start();
            log.info("OpenAI simulator on {}", simulator.baseUrl());
            return simulator;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void routes() {
        route("/v1/chat/completions", Endpoint.CHAT, exchange -> paid(exchange, Endpoint.CHAT, body -> prompts.chatAnswer(body, true)));
        route("/v1/images/generations", Endpoint.IMAGES, exchange -> paid(exchange, Endpoint.IMAGES, body -> images.imageAnswer(body, true)));
        route("/v1/moderations", Endpoint.MODERATIONS, exchange -> free(exchange, Endpoint.MODERATIONS, moderation::answer));
        route("/v1/models", Endpoint.MODELS, this::models);
        route("/v1/simulator/files/", null, images::file);
        route("/v1/files", null, exchange -> withKey(exchange, batches.files()::files));
        route("/v1/batches", null, exchange -> withKey(exchange, batches::batches));
        route("/", null, exchange -> error(exchange, 404, "invalid_request_error", "unknown_url",
                "Unknown request URL: " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()));
    }

    /**
     * Serves a path, counting the calls in flight of its endpoint. Every call is answered: a handler that fails answers
     * 500, as a provider's server does; one that fails after its answer began can only end the connection, which is what
     * a client sees of a server that broke mid-answer.
     */
    private void route(String path, Endpoint endpoint, HttpHandler handler) {
        server.createContext(path, exchange -> {
            if (endpoint != null) {
                ledger.started(endpoint);
            }
            try (exchange) {
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                log.error("simulator {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI().getPath(), e);
                if (exchange.getResponseCode() == -1) {
                    try {
                        error(exchange, 500, "server_error", null, "The simulator failed: " + e);
                    } catch (IOException | RuntimeException unanswerable) {
                        log.warn("simulator could not answer {} either: {}", exchange.getRequestURI().getPath(), unanswerable.toString());
                    }
                }
            } finally {
                if (endpoint != null) {
                    ledger.ended(endpoint);
                }
            }
        });
    }

    /** The value for OPENAI_BASE_URL. */
    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
    }

    public void settings(SimulatorSettings settings) {
        this.settings = settings;
    }

    public SimulatorSettings settings() {
        return settings;
    }

    /** The models served and their shutdown dates: announce, move or withdraw a date while it runs. */
    public SimulatedModels models() {
        return account.models();
    }

    /** Fault switch: every call is answered 401 invalid_api_key, as for a key revoked in the middle of a run. */
    public void revokeKey(boolean revoked) {
        account.revokeKey(revoked);
    }

    /** Fault switch: paid calls (chat, images) are answered 429 insufficient_quota, as for an account out of credit. */
    public void exhaustQuota(boolean exhausted) {
        account.exhaustQuota(exhausted);
    }

    /** Whether {@code /v1/models} exists; off, it answers 404 as a provider without the endpoint does. */
    public void modelsEndpoint(boolean served) {
        this.modelsEndpoint = served;
    }

    /** Calls received for the request id, whatever they were answered. */
    public long calls(Endpoint endpoint, String requestId) {
        return ledger.calls(endpoint, requestId);
    }

    /** Calls answered with a result (what a provider would bill) for the request id. */
    public long billed(Endpoint endpoint, String requestId) {
        return ledger.billed(endpoint, requestId);
    }

    /** Calls answered by an endpoint, billed or not. */
    public long totalCalls(Endpoint endpoint) {
        return ledger.totalCalls(endpoint);
    }

    /** Calls an endpoint has received and not yet answered: what a client has in flight. */
    public long inFlight(Endpoint endpoint) {
        return ledger.inFlight(endpoint);
    }

    /** Calls answered 429 because of {@link SimulatorSettings#imagesPerMinute()}. */
    public long rateLimitedCalls() {
        return ledger.rateLimitedCalls();
    }

    /** Calls answered with the injected fault ({@link SimulatorSettings#faultStatus()}). */
    public long faultedCalls() {
        return ledger.faultedCalls();
    }

    /** The last calls (at most 200), oldest first: for checking bodies against OpenAI's published schemas. */
    public List<Exchange> recentExchanges() {
        return ledger.recent();
    }

    // ---- the Batch API ----

    /** How long a batch takes from creation to completion (2 s unless set); its lines run evenly over it. */
    public void batchDuration(Duration duration) {
        batches.duration(duration);
    }

    /** Fault: batches expire half way through their duration, with half their lines run. */
    public void expireBatchesHalfDone(boolean expire) {
        batches.expireHalfDone(expire);
    }

    /** Fault switch: {@code /v1/files} and {@code /v1/batches} answer 403, as for a key without their scopes. */
    public void forbidBatches(boolean forbidden) {
        batches.forbid(forbidden);
    }

    /**
     * Fault: batches whose lines name this model fail validation ({@code status: failed}, {@code errors} naming the
     * model), as resellers report of the Batch API with some image models; {@code refused} false takes them again.
     */
    public void refuseBatchModel(String model, boolean refused) {
        batches.refuseModel(model, refused);
    }

    /** Fault: {@code /v1/files} answers 503 for this long from now. */
    public void filesDownFor(Duration outage) {
        batches.filesDownFor(outage);
    }

    /** Batch lines for a request id ({@code custom_id}) that ran and answered 200: each is billed, at half price. */
    public long billedInBatch(Endpoint endpoint, String requestId) {
        return batches.billed(endpoint == Endpoint.CHAT ? "/v1/chat/completions" : "/v1/images/generations", requestId);
    }

    /** Whether a batch created so far holds this request id as a line's custom_id. */
    public boolean inSubmittedBatch(String requestId) {
        return batches.submitted(requestId);
    }

    /** Batches created so far. */
    public int batchesCreated() {
        return batches.created();
    }

    // ---- handlers ----

    /** A paid endpoint's call: admitted (key, quota, limits, faults), answered, and billed when the answer is 200. */
    private void paid(HttpExchange exchange, Endpoint endpoint, Function<JsonNode, Answer> answering) throws IOException {
        Optional<Answer> answer = admitted(exchange, endpoint).map(answering);
        if (answer.isPresent()) {
            if (answer.get().status() == 200) {
                ledger.bill(endpoint, exchange.getRequestHeaders().getFirst(REQUEST_ID_HEADER));
            }
            send(exchange, answer.get().status(), answer.get().body());
        }
    }

    /** A free endpoint's call: admitted as a paid one is, and answered. */
    private void free(HttpExchange exchange, Endpoint endpoint, Function<JsonNode, Answer> answering) throws IOException {
        Optional<Answer> answer = admitted(exchange, endpoint).map(answering);
        if (answer.isPresent()) {
            send(exchange, answer.get().status(), answer.get().body());
        }
    }

    /** The call's body once admitted; empty when admission refused it, which is answered here. */
    private Optional<JsonNode> admitted(HttpExchange exchange, Endpoint endpoint) throws IOException {
        switch (admission.admit(exchange, endpoint)) {
            case Admission.Admitted(JsonNode body) -> {
                exchange.setAttribute(REQUEST_ATTRIBUTE, body);
                return Optional.of(body);
            }
            case Admission.Refused(Answer answer, var headers) -> {
                headers.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
                send(exchange, answer.status(), answer.body());
                return Optional.empty();
            }
        }
    }

    /** {@code GET /v1/models} and {@code GET /v1/models/{id}}, with {@code shutdown_date}; free calls. */
    private void models(HttpExchange exchange) throws IOException {
        if (!modelsEndpoint) {
            error(exchange, 404, "invalid_request_error", "unknown_url", "Unknown request URL: GET " + exchange.getRequestURI().getPath());
            return;
        }
        if (!"GET".equals(exchange.getRequestMethod())) {
            error(exchange, 405, "invalid_request_error", null, "Use GET.");
            return;
        }
        Optional<Answer> refused = account.refusesKey(exchange.getRequestHeaders().getFirst("Authorization"));
        if (refused.isPresent()) {
            send(exchange, refused.get().status(), refused.get().body());
            return;
        }
        String path = exchange.getRequestURI().getPath();
        String id = path.length() > "/v1/models/".length() ? path.substring("/v1/models/".length()) : "";
        if (id.isEmpty()) {
            ObjectNode list = JSON.createObjectNode();
            list.put("object", "list");
            ArrayNode data = list.putArray("data");
            account.models().servedModels().forEach(m -> data.add(model(m)));
            send(exchange, 200, list);
            return;
        }
        var model = account.models().served(id);
        if (model.isEmpty()) {
            error(exchange, 404, "invalid_request_error", "model_not_found", "The model '" + id + "' does not exist");
            return;
        }
        send(exchange, 200, model(model.get()));
    }

    private static ObjectNode model(SimulatedModels.Model m) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", m.id());
        node.put("object", "model");
        node.put("created", m.created());
        node.put("owned_by", "system");
        if (m.shutdownDate().isPresent()) {
            node.put("shutdown_date", m.shutdownDate().get().toString());
        } else {
            node.putNull("shutdown_date");
        }
        return node;
    }

    /** Runs a Files or Batch API handler for a call whose key is taken; 401 otherwise. */
    private void withKey(HttpExchange exchange, HttpHandler handler) throws IOException {
        Optional<Answer> refused = account.refusesKey(exchange.getRequestHeaders().getFirst("Authorization"));
        if (refused.isPresent()) {
            send(exchange, refused.get().status(), refused.get().body());
            return;
        }
        handler.handle(exchange);
    }

    private void error(HttpExchange exchange, int status, String type, String code, String message) throws IOException {
        send(exchange, status, Answer.error(status, type, code, message).body());
    }

    private void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Endpoint endpoint = path.endsWith("/chat/completions") ? Endpoint.CHAT : path.endsWith("/images/generations") ? Endpoint.IMAGES
                : path.endsWith("/moderations") ? Endpoint.MODERATIONS : path.startsWith("/v1/models") ? Endpoint.MODELS : null;
        if (endpoint != null) {
            ledger.answered(new Exchange(endpoint, (JsonNode) exchange.getAttribute(REQUEST_ATTRIBUTE), status, body));
        }
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.getResponseHeaders().set("x-request-id", "req_" + UUID.randomUUID().toString().replace("-", "").toLowerCase(Locale.ROOT));
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
