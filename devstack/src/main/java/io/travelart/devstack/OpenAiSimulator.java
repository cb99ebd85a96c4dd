package io.travelart.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible HTTP server for tests, benchmarks and the offline demo:
 * {@code POST /v1/chat/completions} and {@code POST /v1/images/generations} (b64_json, or url mode
 * with expiring links under {@code /v1/simulator/files/}), with response bodies shaped like
 * OpenAI's published OpenAPI description so that the SDK's strict validation accepts them.
 * Latency, refusals and faults come from {@link SimulatorSettings}; calls are counted per request id
 * (header {@code X-Client-Request-Id}) so tests can prove that nothing was paid for twice.
 */
public final class OpenAiSimulator implements AutoCloseable {

    public enum Endpoint { CHAT, IMAGES, MODERATIONS, MODELS }

    public static final String REQUEST_ID_HEADER = "X-Client-Request-Id";
    private static final String REQUEST_ATTRIBUTE = "travelart.request";

    private static final Logger log = LoggerFactory.getLogger(OpenAiSimulator.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SIZE = Pattern.compile("(\\d{2,4})x(\\d{2,4})");
    private static final Pattern TAG = Pattern.compile("<(keyword|style)>(.*?)</\\1>", Pattern.DOTALL);

    private final HttpServer server;
    private final ExecutorService executor;
    private volatile SimulatorSettings settings;
    private final Map<Endpoint, Map<String, AtomicLong>> calls = new ConcurrentHashMap<>();
    private final Map<Endpoint, Map<String, AtomicLong>> billed = new ConcurrentHashMap<>();
    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final Map<String, byte[]> reused = new ConcurrentHashMap<>();
    private final Bucket imageBucket = new Bucket();
    private final AtomicLong rateLimited = new AtomicLong();
    private final AtomicLong faulted = new AtomicLong();
    private final Map<Endpoint, AtomicLong> answering = new ConcurrentHashMap<>();
    private final SimulatedModels models = new SimulatedModels(java.time.Clock.systemUTC());
    private final SimulatedBatches batches = new SimulatedBatches(java.time.Clock.systemUTC(),
            (endpoint, body) -> endpoint.equals("/v1/images/generations") ? imageAnswer(body, false) : chatAnswer(body, false),
            this::imageBytes);
    private volatile boolean keyRevoked;
    private volatile boolean quotaExhausted;
    private volatile boolean modelsEndpoint = true;

    private record StoredFile(byte[] bytes, Instant expires) {
    }

    /** One call as the simulator saw it: what was sent and what it answered. */
    public record Exchange(Endpoint endpoint, JsonNode request, int status, JsonNode response) {
    }

    private static final int RECENT = 200;
    private final java.util.Deque<Exchange> recent = new java.util.concurrent.ConcurrentLinkedDeque<>();

    private OpenAiSimulator(HttpServer server, ExecutorService executor, SimulatorSettings settings) {
        this.server = server;
        this.executor = executor;
        this.settings = settings;
        for (Endpoint e : Endpoint.values()) {
            calls.put(e, new ConcurrentHashMap<>());
            billed.put(e, new ConcurrentHashMap<>());
        }
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
            server.createContext("/v1/chat/completions", exchange -> simulator.answering(Endpoint.CHAT, exchange, simulator::chat));
            server.createContext("/v1/images/generations", exchange -> simulator.answering(Endpoint.IMAGES, exchange, simulator::images));
            server.createContext("/v1/moderations", exchange -> simulator.answering(Endpoint.MODERATIONS, exchange, simulator::moderations));
            server.createContext("/v1/models", exchange -> simulator.answering(Endpoint.MODELS, exchange, simulator::models));
            server.createContext("/v1/simulator/files/", simulator::file);
            server.createContext("/v1/files", exchange -> simulator.withKey(exchange, simulator.batches::files));
            server.createContext("/v1/batches", exchange -> simulator.withKey(exchange, simulator.batches::batches));
            server.createContext("/", exchange -> simulator.error(exchange, 404, "invalid_request_error", "unknown_url",
                    "Unknown request URL: " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()));
            server.start();
            log.info("OpenAI simulator on {}", simulator.baseUrl());
            return simulator;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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
        return models;
    }

    /** Fault switch: every call is answered 401 invalid_api_key, as for a key revoked in the middle of a run. */
    public void revokeKey(boolean revoked) {
        this.keyRevoked = revoked;
    }

    /** Fault switch: paid calls (chat, images) are answered 429 insufficient_quota, as for an account out of credit. */
    public void exhaustQuota(boolean exhausted) {
        this.quotaExhausted = exhausted;
    }

    /** Whether {@code /v1/models} exists; off, it answers 404 as a provider without the endpoint does. */
    public void modelsEndpoint(boolean served) {
        this.modelsEndpoint = served;
    }

    /** Calls received for the request id, whatever they were answered. */
    public long calls(Endpoint endpoint, String requestId) {
        AtomicLong n = calls.get(endpoint).get(requestId);
        return n == null ? 0 : n.get();
    }

    /** Calls answered with a result (what a provider would bill) for the request id. */
    public long billed(Endpoint endpoint, String requestId) {
        AtomicLong n = billed.get(endpoint).get(requestId);
        return n == null ? 0 : n.get();
    }

    /** The last calls (at most 200), oldest first: for checking bodies against OpenAI's published schemas. */
    public List<Exchange> recentExchanges() {
        return List.copyOf(recent);
    }

    // ---- chat ----

    private void chat(HttpExchange exchange) throws IOException {
        paid(exchange, Endpoint.CHAT, body -> chatAnswer(body, true));
    }

    /** A paid endpoint's call: admitted (key, quota, limits, faults), answered, and billed when the answer is 200. */
    private void paid(HttpExchange exchange, Endpoint endpoint, java.util.function.Function<JsonNode, Answer> answering) throws IOException {
        try (exchange) {
            JsonNode body = admit(exchange, endpoint);
            if (body == null) {
                return;
            }
            Answer answer = answering.apply(body);
            if (answer.status() == 200) {
                count(billed, endpoint, exchange);
            }
            send(exchange, answer.status(), answer.body());
        } catch (RuntimeException e) {
            log.error("simulator {} handler failed", endpoint, e);
        }
    }

    /**
     * What {@code /v1/chat/completions} answers to a body, for the endpoint itself ({@code live}: with its
     * latency) or a batch line (the batch has a duration of its own).
     */
    Answer chatAnswer(JsonNode body, boolean live) {
        String model = body.path("model").asText("");
        JsonNode messages = body.path("messages");
        if (model.isEmpty() || !messages.isArray() || messages.isEmpty()) {
            return Answer.error(400, "invalid_request_error", "missing_required_parameter",
                    "'model' and a non-empty 'messages' array are required.");
        }
        Optional<Answer> refused = notServed(model).or(this::quotaRefusal);
        if (refused.isPresent()) {
            return refused.get();
        }
        String userText = lastUserText(messages);
        SimulatorSettings s = settings;
        if (userText.contains(s.refusalMarker())) {
            return Answer.error(400, "invalid_request_error", "content_policy_violation",
                    "Your request was rejected as a result of our safety system.");
        }
        if (live) {
            pause(s.chatLatency(), s.jitter());
        }
        // The prompt-worker escapes < and > in the data it puts between tags; a model reads them as what they stand for.
        String keyword = unescape(tag(userText, "keyword").orElse(userText).trim());
        String style = tag(userText, "style").map(OpenAiSimulator::unescape).orElse(null);
        String prompt = writePrompt(keyword, style);
        long promptTokens = tokens(messages.toString());
        long completionTokens = tokens(prompt);

        ObjectNode answer = JSON.createObjectNode();
        answer.put("id", "chatcmpl-" + UUID.randomUUID().toString().replace("-", ""));
        answer.put("object", "chat.completion");
        answer.put("created", Instant.now().getEpochSecond());
        answer.put("model", model);
        ObjectNode choice = answer.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", prompt);
        message.putNull("refusal");
        message.putArray("annotations");
        choice.putNull("logprobs");
        choice.put("finish_reason", "stop");
        ObjectNode usage = answer.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 0).put("audio_tokens", 0);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 0).put("audio_tokens", 0)
                .put("accepted_prediction_tokens", 0).put("rejected_prediction_tokens", 0);
        answer.put("service_tier", "default");
        answer.put("system_fingerprint", "fp_travelart_simulator");
        return new Answer(200, answer);
    }

    private static String lastUserText(JsonNode messages) {
        String text = "";
        for (JsonNode m : messages) {
            if ("user".equals(m.path("role").asText())) {
                JsonNode content = m.path("content");
                if (content.isTextual()) {
                    text = content.asText();
                } else if (content.isArray()) {
                    StringBuilder sb = new StringBuilder();
                    content.forEach(part -> sb.append(part.path("text").asText("")));
                    text = sb.toString();
                }
            }
        }
        return text;
    }

    private static Optional<String> tag(String text, String name) {
        Matcher m = TAG.matcher(text);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                return Optional.of(m.group(2));
            }
        }
        return Optional.empty();
    }

    private static String unescape(String data) {
        return data.replace("&lt;", "<").replace("&gt;", ">");
    }

    /**
     * A plausible one-paragraph prompt: place, time of day, mood and art style. The time of day follows
     * hints in the keyword (night, 밤, sunrise, autumn...), else the keyword's hash, as do mood and style.
     */
    static String writePrompt(String keyword, String style) {
        String[] moods = {"a quiet, romantic mood", "a nostalgic, dreamy mood", "a lively, festive mood",
                "a serene, contemplative mood", "a mysterious, cinematic mood"};
        String[] styles = {"a painterly digital matte painting", "a watercolor illustration with loose washes",
                "a Studio Ghibli-inspired animated background", "an impressionist oil painting", "a moody cinematic concept art piece"};
        int h = Math.abs(keyword.hashCode());
        String chosenStyle = style == null || style.isBlank() ? styles[h % styles.length] : style.trim();
        return "Concept art of " + keyword + ", seen from a wide elevated viewpoint over its most recognisable streets and landmarks "
                + timeOfDay(keyword.toLowerCase(Locale.ROOT), h) + ", with " + moods[(h / 7) % moods.length]
                + ": warm lights glowing in windows, people strolling, reflections on wet stone, and a sense of travel and wonder, "
                + "rendered as " + chosenStyle + " with rich detail, balanced composition and cinematic lighting.";
    }

    private static String timeOfDay(String keyword, int hash) {
        boolean winter = keyword.contains("winter") || keyword.contains("겨울") || keyword.contains("snow") || keyword.contains("눈");
        if (keyword.contains("night") || keyword.contains("밤")) {
            return winter ? "on a snowy winter night" : "at night under a full moon";
        }
        if (keyword.contains("sunrise") || keyword.contains("morning") || keyword.contains("아침") || keyword.contains("새벽")) {
            return "in the soft gold of early morning";
        }
        if (keyword.contains("sunset") || keyword.contains("evening") || keyword.contains("저녁") || keyword.contains("노을")) {
            return "at blue hour just after sunset";
        }
        if (keyword.contains("rain") || keyword.contains("비")) {
            return "on a rainy afternoon under soft grey light";
        }
        String[] times = {"at blue hour just after sunset", "in the soft gold of early morning",
                "under a dramatic stormy afternoon sky", "in hazy late-afternoon light", "on a bright spring noon"};
        return (winter ? "on a crisp winter day, " : "") + times[hash % times.length];
    }

    private static long tokens(String text) {
        return Math.max(1, Math.round(text.split("\\s+").length * 1.3));
    }

    // ---- images ----

    private void images(HttpExchange exchange) throws IOException {
        paid(exchange, Endpoint.IMAGES, body -> imageAnswer(body, true));
    }

    /**
     * What {@code /v1/images/generations} answers to a body, for the endpoint itself ({@code live}: with its
     * latency, and URL answers where asked) or a batch line (base64, no latency of its own).
     */
    Answer imageAnswer(JsonNode body, boolean live) {
        String model = body.path("model").asText("dall-e-2");
        String prompt = body.path("prompt").asText("");
        if (prompt.isBlank()) {
            return Answer.error(400, "invalid_request_error", "missing_required_parameter", "'prompt' is required.");
        }
        if (settings.dialect() != SimulatorSettings.Dialect.OPENAI) {
            return compatibleImageAnswer(body, prompt, live, settings);
        }
        Optional<Answer> notServed = notServed(model);
        if (notServed.isPresent()) {
            return notServed.get();
        }
        String size = body.path("size").asText("1024x1024");
        if ("auto".equals(size)) {
            size = "1024x1024";
        }
        Matcher sizeMatch = SIZE.matcher(size);
        if (!sizeMatch.matches()) {
            return Answer.error(400, "invalid_request_error", "invalid_value", "Invalid value for 'size': " + size);
        }
        int n = body.path("n").asInt(1);
        if (n != 1) {
            return Answer.error(400, "invalid_request_error", "invalid_value", "This simulator supports n=1 only.");
        }
        String invalid = ImageParameters.invalid(model, body, Integer.parseInt(sizeMatch.group(1)), Integer.parseInt(sizeMatch.group(2)));
        if (invalid != null) {
            return Answer.error(400, "invalid_request_error", "invalid_value", invalid);
        }
        Optional<Answer> noQuota = quotaRefusal();
        if (noQuota.isPresent()) {
            return noQuota.get();
        }
        SimulatorSettings s = settings;
        if (prompt.contains(s.refusalMarker())) {
            return Answer.error(400, "image_generation_user_error", "content_policy_violation",
                    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.");
        }
        boolean dalle = model.startsWith("dall-e");
        String format = live ? body.path("response_format").asText(
                dalle || s.imageMode() == SimulatorSettings.ImageMode.URL ? "url" : "b64_json") : "b64_json";
        if (live) {
            pause(s.imageLatency(), s.jitter());
        }
        int width = Integer.parseInt(sizeMatch.group(1));
        int height = Integer.parseInt(sizeMatch.group(2));
        String outputFormat = body.path("output_format").asText("png");
        String quality = body.path("quality").asText("auto");
        // A batch line's image is drawn when its output file is read, not held with the batch (SimulatedBatches).
        byte[] png = live ? imageBytes(body) : null;

        ObjectNode answer = JSON.createObjectNode();
        answer.put("created", Instant.now().getEpochSecond());
        ArrayNode data = answer.putArray("data");
        ObjectNode image = data.addObject();
        if ("url".equals(format)) {
            String id = UUID.randomUUID().toString();
            files.put(id, new StoredFile(png, Instant.now().plus(s.urlTtl())));
            image.put("url", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/simulator/files/" + id + "." + outputFormat);
        } else {
            image.put("b64_json", png == null ? SimulatedBatches.IMAGE_LATER : Base64.getEncoder().encodeToString(png));
        }
        if (dalle) {
            image.put("revised_prompt", prompt + " Highly detailed.");
        } else {
            answer.put("background", "opaque");
            answer.put("output_format", outputFormat);
            String answered = "auto".equals(quality) ? "medium" : quality;
            // OpenAI's published description (August 2026) knows low, medium and high only; the SDK checks it.
            if (List.of("low", "medium", "high").contains(answered)) {
                answer.put("quality", answered);
            }
            answer.put("size", size);
            long input = tokens(prompt);
            long output = ImageParameters.outputTokens(quality, width, height);
            ObjectNode usage = answer.putObject("usage");
            usage.put("input_tokens", input);
            usage.putObject("input_tokens_details").put("image_tokens", 0).put("text_tokens", input);
            usage.put("output_tokens", output);
            usage.put("total_tokens", input + output);
        }
        return new Answer(200, answer);
    }

    /** The image an images request's body is answered with: the same bytes each time for the same body and settings. */
    byte[] imageBytes(JsonNode body) {
        SimulatorSettings s = settings;
        Matcher sizeMatch = SIZE.matcher(body.path("size").asText("1024x1024").replace("auto", "1024x1024"));
        if (!sizeMatch.matches()) {
            throw new IllegalArgumentException("no size in " + body);
        }
        int width = Integer.parseInt(sizeMatch.group(1));
        int height = Integer.parseInt(sizeMatch.group(2));
        String outputFormat = body.path("output_format").asText("png");
        return s.reuseImages()
                ? reused.computeIfAbsent(width + "x" + height + "." + outputFormat + "." + s.imageDetail(),
                        k -> ImageRenderer.render("Travelart simulator", 0, width, height, outputFormat, s.imageDetail()))
                : ImageRenderer.render(body.path("prompt").asText(""), 0, width, height, outputFormat, s.imageDetail());
    }

    /**
     * An OpenAI-compatible server's answer (LocalAI, vLLM-Omni): any model name, {@code quality} and {@code output_format}
     * ignored, PNG, and the answer in that server's documented shape.
     */
    private Answer compatibleImageAnswer(JsonNode body, String prompt, boolean live, SimulatorSettings s) {
        Matcher sizeMatch = SIZE.matcher(body.path("size").asText("512x512"));
        if (!sizeMatch.matches()) {
            return Answer.error(400, "invalid_request_error", "invalid_value", "Invalid value for 'size': " + body.path("size").asText());
        }
        if (live) {
            pause(s.imageLatency(), s.jitter());
        }
        byte[] png = ImageRenderer.render(prompt, 0, Integer.parseInt(sizeMatch.group(1)), Integer.parseInt(sizeMatch.group(2)), "png",
                settings.imageDetail());
        ObjectNode answer = JSON.createObjectNode();
        answer.put("created", Instant.now().getEpochSecond());
        ObjectNode image = answer.putArray("data").addObject();
        if (s.dialect() == SimulatorSettings.Dialect.LOCALAI) {
            answer.put("id", UUID.randomUUID().toString());
            image.putArray("embedding");
            image.put("index", 0);
            if ("b64_json".equals(body.path("response_format").asText())) {
                image.put("b64_json", Base64.getEncoder().encodeToString(png));
            } else {
                String id = UUID.randomUUID().toString();
                files.put(id, new StoredFile(png, Instant.now().plus(s.urlTtl())));
                image.put("url", "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/simulator/files/" + id + ".png");
            }
            answer.putObject("usage").put("prompt_tokens", 0).put("completion_tokens", 0).put("total_tokens", 0);
        } else {
            image.put("b64_json", Base64.getEncoder().encodeToString(png));
            image.putNull("url");
            image.putNull("revised_prompt");
        }
        return new Answer(200, answer);
    }

    private void file(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String name = path.substring(path.lastIndexOf('/') + 1);
            String id = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
            StoredFile stored = files.get(id);
            if (stored == null || Instant.now().isAfter(stored.expires())) {
                files.remove(id);
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "image/" + (name.endsWith(".jpeg") ? "jpeg" : name.endsWith(".webp") ? "webp" : "png"));
            exchange.sendResponseHeaders(200, stored.bytes().length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(stored.bytes());
            }
        }
    }

    // ---- shared ----

    /** Checks method, key and body and applies injected faults; returns the body, or null once answered. */
    private JsonNode admit(HttpExchange exchange, Endpoint endpoint) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            error(exchange, 405, "invalid_request_error", null, "Use POST.");
            return null;
        }
        count(calls, endpoint, exchange);
        if (!authorized(exchange)) {
            return null;
        }
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = JSON.readTree(in);
        } catch (IOException e) {
            error(exchange, 400, "invalid_request_error", null, "We could not parse the JSON body of your request.");
            return null;
        }
        exchange.setAttribute(REQUEST_ATTRIBUTE, body);
        SimulatorSettings s = settings;
        if (endpoint == Endpoint.IMAGES && s.imagesPerMinute() > 0) {
            long waitMillis = imageBucket.take(s.imagesPerMinute());
            if (waitMillis > 0) {
                rateLimited.incrementAndGet();
                exchange.getResponseHeaders().set("retry-after-ms", Long.toString(waitMillis));
                exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, (waitMillis + 999) / 1000)));
                error(exchange, 429, "images", "rate_limit_exceeded", "Rate limit reached for images per minute. Please try again later.");
                return null;
            }
        }
        boolean paid = endpoint == Endpoint.CHAT || endpoint == Endpoint.IMAGES;
        if (paid && s.faultStatus() != 0 && ThreadLocalRandom.current().nextDouble() < s.faultRate()) {
            faulted.incrementAndGet();
            if (s.faultStatus() == 429) {
                exchange.getResponseHeaders().set("retry-after-ms", Long.toString(s.retryAfter().toMillis()));
                exchange.getResponseHeaders().set("Retry-After", Long.toString(Math.max(1, s.retryAfter().toSeconds())));
                error(exchange, 429, "requests", "rate_limit_exceeded", "Rate limit reached. Please try again later.");
            } else {
                error(exchange, s.faultStatus(), "server_error", null, "The server had an error while processing your request.");
            }
            return null;
        }
        return body;
    }

    /** 404 model_not_found for a model that is unknown or shut down, as OpenAI answers; empty when it is served. */
    private Optional<Answer> notServed(String model) {
        if (models.served(model).isPresent()) {
            return Optional.empty();
        }
        return Optional.of(Answer.error(404, "invalid_request_error", "model_not_found",
                "The model `" + model + "` does not exist or you do not have access to it."));
    }

    /** 429 insufficient_quota while the quota is exhausted; empty when a paid call may go on. */
    private Optional<Answer> quotaRefusal() {
        if (!quotaExhausted) {
            return Optional.empty();
        }
        return Optional.of(Answer.error(429, "insufficient_quota", "insufficient_quota",
                "You exceeded your current quota, please check your plan and billing details."));
    }

    // ---- models ----

    /** {@code GET /v1/models} and {@code GET /v1/models/{id}}, with {@code shutdown_date}; free calls. */
    private void models(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!modelsEndpoint) {
                error(exchange, 404, "invalid_request_error", "unknown_url",
                        "Unknown request URL: GET " + exchange.getRequestURI().getPath());
                return;
            }
            if (!"GET".equals(exchange.getRequestMethod())) {
                error(exchange, 405, "invalid_request_error", null, "Use GET.");
                return;
            }
            if (!authorized(exchange)) {
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String id = path.length() > "/v1/models/".length() ? path.substring("/v1/models/".length()) : "";
            if (id.isEmpty()) {
                ObjectNode list = JSON.createObjectNode();
                list.put("object", "list");
                ArrayNode data = list.putArray("data");
                models.servedModels().forEach(m -> data.add(model(m)));
                send(exchange, 200, list);
                return;
            }
            var model = models.served(id);
            if (model.isEmpty()) {
                error(exchange, 404, "invalid_request_error", "model_not_found", "The model '" + id + "' does not exist");
                return;
            }
            send(exchange, 200, model(model.get()));
        } catch (RuntimeException e) {
            log.error("simulator models handler failed", e);
        }
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

    // ---- moderations ----

    /** {@code POST /v1/moderations}: free; flags text that contains the flag marker as violence. */
    private void moderations(HttpExchange exchange) throws IOException {
        try (exchange) {
            JsonNode body = admit(exchange, Endpoint.MODERATIONS);
            if (body == null) {
                return;
            }
            String model = body.path("model").asText("omni-moderation-latest");
            Optional<Answer> notServed = notServed(model);
            if (notServed.isPresent()) {
                send(exchange, notServed.get().status(), notServed.get().body());
                return;
            }
            JsonNode input = body.path("input");
            java.util.List<String> texts = new java.util.ArrayList<>();
            if (input.isTextual()) {
                texts.add(input.asText());
            } else if (input.isArray()) {
                input.forEach(item -> texts.add(item.isTextual() ? item.asText() : item.path("text").asText("")));
            } else {
                error(exchange, 400, "invalid_request_error", "missing_required_parameter", "'input' is required.");
                return;
            }
            ObjectNode answer = JSON.createObjectNode();
            answer.put("id", "modr-" + UUID.randomUUID().toString().replace("-", ""));
            answer.put("model", model.equals("omni-moderation-latest") ? "omni-moderation-2024-09-26" : model);
            ArrayNode results = answer.putArray("results");
            String marker = SimulatorSettings.FLAG_MARKER;
            for (String text : texts) {
                boolean flagged = text.contains(marker);
                ObjectNode result = results.addObject();
                result.put("flagged", flagged);
                ObjectNode categories = result.putObject("categories");
                ObjectNode scores = result.putObject("category_scores");
                ObjectNode applied = result.putObject("category_applied_input_types");
                for (String category : MODERATION_CATEGORIES) {
                    boolean hit = flagged && category.equals("violence");
                    categories.put(category, hit);
                    scores.put(category, hit ? 0.91 : 0.0001);
                    applied.putArray(category).add("text");
                }
            }
            send(exchange, 200, answer);
        } catch (RuntimeException e) {
            log.error("simulator moderations handler failed", e);
        }
    }

    private static final List<String> MODERATION_CATEGORIES = List.of("harassment", "harassment/threatening", "hate",
            "hate/threatening", "illicit", "illicit/violent", "self-harm", "self-harm/instructions", "self-harm/intent",
            "sexual", "sexual/minors", "violence", "violence/graphic");

    private boolean authorized(HttpExchange exchange) throws IOException {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.startsWith("Bearer ") || auth.length() <= "Bearer ".length()) {
            error(exchange, 401, "invalid_request_error", "invalid_api_key", "You didn't provide an API key.");
            return false;
        }
        if (keyRevoked) {
            error(exchange, 401, "invalid_request_error", "invalid_api_key",
                    "Incorrect API key provided: sk-****. You can find your API key at https://platform.openai.com/account/api-keys.");
            return false;
        }
        return true;
    }

    /** The images-per-minute limit: a bucket of one second's share, refilled evenly. */
    private static final class Bucket {
        private double tokens = -1;
        private long last;

        /** Takes one token if there is one and returns 0; else how many milliseconds until there is. */
        synchronized long take(int perMinute) {
            double capacity = Math.max(1.0, perMinute / 60.0);
            double perNano = perMinute / 60e9;
            long now = System.nanoTime();
            tokens = tokens < 0 ? capacity : Math.min(capacity, tokens + (now - last) * perNano);
            last = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return Math.max(1, (long) Math.ceil((1 - tokens) / perNano / 1e6));
        }
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

    private void withKey(HttpExchange exchange, com.sun.net.httpserver.HttpHandler handler) throws IOException {
        if (!authorized(exchange)) {
            exchange.close();
            return;
        }
        handler.handle(exchange);
    }

    /** Calls answered 429 because of {@link SimulatorSettings#imagesPerMinute()}. */
    public long rateLimitedCalls() {
        return rateLimited.get();
    }

    /** Calls answered with the injected fault ({@link SimulatorSettings#faultStatus()}). */
    public long faultedCalls() {
        return faulted.get();
    }

    /** Calls an endpoint has received and not yet answered: what a client has in flight. */
    public long inFlight(Endpoint endpoint) {
        return answering.computeIfAbsent(endpoint, e -> new AtomicLong()).get();
    }

    private void answering(Endpoint endpoint, HttpExchange exchange, com.sun.net.httpserver.HttpHandler handler) throws IOException {
        AtomicLong count = answering.computeIfAbsent(endpoint, e -> new AtomicLong());
        count.incrementAndGet();
        try {
            handler.handle(exchange);
        } finally {
            count.decrementAndGet();
        }
    }

    /** Calls answered by an endpoint, billed or not. */
    public long totalCalls(Endpoint endpoint) {
        return calls.get(endpoint).values().stream().mapToLong(AtomicLong::get).sum();
    }

    private void count(Map<Endpoint, Map<String, AtomicLong>> counter, Endpoint endpoint, HttpExchange exchange) {
        String requestId = exchange.getRequestHeaders().getFirst(REQUEST_ID_HEADER);
        counter.get(endpoint).computeIfAbsent(requestId == null ? "" : requestId, k -> new AtomicLong()).incrementAndGet();
    }

    private static void pause(Duration latency, double jitter) {
        long millis = latency.toMillis();
        if (millis <= 0) {
            return;
        }
        double factor = 1 + (ThreadLocalRandom.current().nextDouble() * 2 - 1) * jitter;
        try {
            Thread.sleep(Math.max(0, Math.round(millis * factor)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void error(HttpExchange exchange, int status, String type, String code, String message) throws IOException {
        send(exchange, status, Answer.error(status, type, code, message).body());
    }

    private void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Endpoint endpoint = path.endsWith("/chat/completions") ? Endpoint.CHAT : path.endsWith("/images/generations") ? Endpoint.IMAGES
                : path.endsWith("/moderations") ? Endpoint.MODERATIONS : path.startsWith("/v1/models") ? Endpoint.MODELS : null;
        if (endpoint != null) {
            recent.addLast(new Exchange(endpoint, (JsonNode) exchange.getAttribute(REQUEST_ATTRIBUTE), status, body));
            while (recent.size() > RECENT) {
                recent.pollFirst();
            }
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
