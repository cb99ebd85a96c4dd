package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;

/**
 * OpenAI's Batch API as the simulator serves it, after OpenAI's published OpenAPI description:
 * {@code POST /v1/batches}, {@code GET /v1/batches[/{id}]}, {@code POST /v1/batches/{id}/cancel}.
 *
 * <p>A batch runs its lines through the same answers as the synchronous endpoints, spread evenly over
 * {@link #duration(Duration)}: what has run by the time a batch is read is done, so a batch cancelled or
 * expired half way through has half its lines in its output file. Each line that answers 200 is billed
 * once, by its {@code custom_id}, at half price ({@link #billed}). Faults: {@link #expireHalfDone(boolean)}
 * (the completion window ends half way), a line whose prompt carries the refusal marker fails, and
 * {@link #filesDownFor(Duration)} (the files endpoint answers 503), {@link #forbid} (both answer 403, as for a key
 * without their scopes), {@link #refuseModel} (a batch whose lines name that model fails validation, as resellers
 * report of the Batch API with some image models).
 *
 * <p>Input, output and error files are {@link SimulatedFiles}'.
 */
final class SimulatedBatches {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Clock clock;
    private final BiFunction<String, JsonNode, Answer> answers;
    private final Set<String> refusedModels = ConcurrentHashMap.newKeySet();
    private final SimulatedFiles files;
    private final Map<String, Batch> batches = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, AtomicLong> billed = new ConcurrentHashMap<>();
    private volatile Duration duration = Duration.ofSeconds(2);
    private volatile boolean expireHalfDone;
    /** The key may not use the Files and Batch APIs (a restricted project key): both answer 403. */
    private volatile boolean forbidden;

    /**
     * @param answers what the synchronous endpoint (its URL path) answers to a line's body; an image answer's
     *                {@code b64_json} is {@link #SimulatedFiles.IMAGE_LATER}
     * @param images  the image bytes of an images line's body, drawn when its output file is read
     */
    SimulatedBatches(Clock clock, BiFunction<String, JsonNode, Answer> answers, java.util.function.Function<JsonNode, byte[]> images) {
        this.clock = clock;
        this.answers = answers;
        this.files = new SimulatedFiles(clock, images);
    }

    /** Batches whose lines name this model fail validation from now on ({@code refused} false: they are taken again). */
    void refuseModel(String model, boolean refused) {
        if (refused) {
            refusedModels.add(model);
        } else {
            refusedModels.remove(model);
        }
    }

    void duration(Duration duration) {
        this.duration = duration;
    }

    void expireHalfDone(boolean expire) {
        this.expireHalfDone = expire;
    }

    void filesDownFor(Duration outage) {
        files.downFor(outage);
    }

    void forbid(boolean forbidden) {
        this.forbidden = forbidden;
        files.forbid(forbidden);
    }

    /** The Files API these batches read their input from and keep their output in. */
    SimulatedFiles files() {
        return files;
    }

    /** Lines of an endpoint ({@code /v1/images/generations}) answered 200 for a custom_id: each is paid, at half price. */
    long billed(String endpoint, String customId) {
        AtomicLong count = billed.get(endpoint + " " + customId);
        return count == null ? 0 : count.get();
    }

    /** Whether a batch created so far holds a line with this custom_id. */
    boolean submitted(String customId) {
        synchronized (batches) {
            return batches.values().stream().anyMatch(b -> b.lines.stream().anyMatch(l -> customId.equals(l.path("custom_id").asText())));
        }
    }

    /** Batches created so far, whatever their state. */
    int created() {
        return batches.size();
    }

    // ---- batches ----

    void batches(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (forbidden) {
                Answer.forbidden("api.batch.write").sendTo(exchange);
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String rest = path.length() > "/v1/batches".length() ? path.substring("/v1/batches/".length()) : "";
            String method = exchange.getRequestMethod();
            if (rest.isEmpty() && "POST".equals(method)) {
                create(exchange);
            } else if (rest.isEmpty() && "GET".equals(method)) {
                list(exchange);
            } else if (rest.endsWith("/cancel") && "POST".equals(method)) {
                Optional<Batch> batch = find(rest.substring(0, rest.length() - "/cancel".length()));
                if (batch.isEmpty()) {
                    Answer.error(404, "invalid_request_error", null, "No such batch.").sendTo(exchange);
                    return;
                }
                new Answer(200, cancel(batch.get())).sendTo(exchange);
            } else if (!rest.isEmpty() && "GET".equals(method)) {
                Optional<Batch> batch = find(rest);
                batch.map(b -> new Answer(200, read(b)))
                        .orElseGet(() -> Answer.error(404, "invalid_request_error", null, "No such batch: " + rest)).sendTo(exchange);
            } else {
                Answer.error(405, "invalid_request_error", null, "Method not allowed.").sendTo(exchange);
            }
        }
    }

    private Optional<Batch> find(String id) {
        return Optional.ofNullable(batches.get(id));
    }

    private void create(HttpExchange exchange) throws IOException {
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            body = JSON.readTree(in);
        } catch (IOException e) {
            Answer.error(400, "invalid_request_error", null, "We could not parse the JSON body of your request.").sendTo(exchange);
            return;
        }
        String endpoint = body.path("endpoint").asText("");
        String window = body.path("completion_window").asText("");
        Optional<byte[]> input = files.batchInput(body.path("input_file_id").asText(""));
        if (!List.of("/v1/images/generations", "/v1/chat/completions").contains(endpoint) || !window.equals("24h")) {
            Answer.error(400, "invalid_request_error", "invalid_value",
                    "endpoint must be /v1/images/generations or /v1/chat/completions here, and completion_window 24h.").sendTo(exchange);
            return;
        }
        if (input.isEmpty()) {
            Answer.error(400, "invalid_request_error", "invalid_value", "input_file_id must name an uploaded batch file.").sendTo(exchange);
            return;
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(input.get(), StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode parsed = JSON.readTree(line);
            if (!parsed.path("custom_id").isTextual() || !endpoint.equals(parsed.path("url").asText())
                    || !"POST".equals(parsed.path("method").asText())) {
                Answer.error(400, "invalid_request_error", "invalid_value",
                        "every line needs custom_id, method POST and url " + endpoint + ": " + line).sendTo(exchange);
                return;
            }
            lines.add(parsed);
        }
        Batch batch = new Batch("batch_" + SimulatedFiles.hex(), endpoint, body.path("input_file_id").asText(), body.path("metadata"),
                clock.instant(), lines);
        List<Batch.ErrorData> invalid = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String model = lines.get(i).path("body").path("model").asText("");
            if (refusedModels.contains(model)) {
                invalid.add(new Batch.ErrorData("model_not_supported", "The model '" + model + "' is not supported by the Batch API for "
                        + endpoint + ".", "body.model", i + 1));
            }
        }
        batch.validation = List.copyOf(invalid);
        batches.put(batch.id, batch);
        new Answer(200, read(batch)).sendTo(exchange);
    }

    private void list(HttpExchange exchange) throws IOException {
        Map<String, String> query = new LinkedHashMap<>();
        String raw = exchange.getRequestURI().getRawQuery();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    query.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        int limit = Math.max(1, Math.min(100, Integer.parseInt(query.getOrDefault("limit", "20"))));
        List<Batch> newestFirst;
        synchronized (batches) {
            newestFirst = new ArrayList<>(batches.values());
        }
        java.util.Collections.reverse(newestFirst);
        String after = query.get("after");
        int from = 0;
        if (after != null) {
            for (int i = 0; i < newestFirst.size(); i++) {
                if (newestFirst.get(i).id.equals(after)) {
                    from = i + 1;
                }
            }
        }
        ObjectNode list = JSON.createObjectNode();
        list.put("object", "list");
        ArrayNode data = list.putArray("data");
        List<Batch> page = newestFirst.subList(Math.min(from, newestFirst.size()), Math.min(from + limit, newestFirst.size()));
        page.forEach(b -> data.add(read(b)));
        if (!page.isEmpty()) {
            list.put("first_id", page.get(0).id);
            list.put("last_id", page.get(page.size() - 1).id);
        }
        list.put("has_more", from + limit < newestFirst.size());
        new Answer(200, list).sendTo(exchange);
    }

    /** The batch as it stands now: the lines due by now have run. */
    private ObjectNode read(Batch batch) {
        synchronized (batch) {
            advance(batch, clock.instant());
            return batch.json();
        }
    }

    private ObjectNode cancel(Batch batch) {
        synchronized (batch) {
            Instant now = clock.instant();
            advance(batch, now);
            if (List.of("validating", "in_progress").contains(batch.status)) {
                batch.times.put("cancelling_at", now);
                finish(batch, "cancelled", "cancelled_at", now);
            }
            return batch.json();
        }
    }

    private void advance(Batch batch, Instant now) {
        if (!List.of("validating", "in_progress").contains(batch.status)) {
            return;
        }
        long total = Math.max(0, duration.toMillis());
        long elapsed = Duration.between(batch.created, now).toMillis();
        if (!batch.validation.isEmpty() && elapsed >= total / 10) {
            // Validation failed: nothing runs, nothing is billed, and the batch has no files.
            batch.status = "failed";
            batch.times.put("failed_at", now);
            return;
        }
        if (elapsed >= total / 10) {
            batch.status = "in_progress";
            batch.times.putIfAbsent("in_progress_at", now);
        }
        double share = total == 0 ? 1.0 : Math.min(1.0, (double) elapsed / total);
        int limit = expireHalfDone ? batch.lines.size() / 2 : batch.lines.size();
        int due = Math.min(limit, (int) Math.floor(batch.lines.size() * share));
        while (batch.run < due) {
            runLine(batch, batch.lines.get(batch.run++));
        }
        if (elapsed >= total) {
            if (expireHalfDone) {
                for (int i = batch.run; i < batch.lines.size(); i++) {
                    batch.errors.add(new SimulatedFiles.Line(line(batch.lines.get(i).path("custom_id").asText(), null,
                            "batch_expired", "This request could not be executed before the completion window expired."), null));
                    batch.failed++;
                }
                batch.run = batch.lines.size();
                finish(batch, "expired", "expired_at", now);
            } else {
                batch.times.put("finalizing_at", now);
                finish(batch, "completed", "completed_at", now);
            }
        }
    }

    private void runLine(Batch batch, JsonNode line) {
        String customId = line.path("custom_id").asText();
        Answer answer = answers.apply(batch.endpoint, line.path("body"));
        JsonNode later = answer.status() == 200 && SimulatedFiles.IMAGE_LATER.equals(answer.body().path("data").path(0).path("b64_json").asText())
                ? line.path("body") : null;
        ObjectNode response = JSON.createObjectNode();
        response.put("status_code", answer.status());
        response.put("request_id", "req_" + SimulatedFiles.hex());
        response.set("body", answer.body());
        if (answer.status() == 200) {
            billed.computeIfAbsent(batch.endpoint + " " + customId, k -> new AtomicLong()).incrementAndGet();
            batch.output.add(new SimulatedFiles.Line(line(customId, response, null, null), later));
            batch.completed++;
        } else {
            batch.errors.add(new SimulatedFiles.Line(line(customId, response, null, null), null));
            batch.failed++;
        }
    }

    private static String line(String customId, ObjectNode response, String errorCode, String errorMessage) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", "batch_req_" + SimulatedFiles.hex());
        node.put("custom_id", customId);
        if (response == null) {
            node.putNull("response");
            node.putObject("error").put("code", errorCode).put("message", errorMessage);
        } else {
            node.set("response", response);
            node.putNull("error");
        }
        return node.toString();
    }

    private void finish(Batch batch, String status, String timeField, Instant now) {
        batch.status = status;
        batch.times.put(timeField, now);
        if (!batch.output.isEmpty()) {
            batch.outputFileId = files.store("batch_" + batch.id + "_output.jsonl", batch.output);
        }
        if (!batch.errors.isEmpty()) {
            batch.errorFileId = files.store("batch_" + batch.id + "_error.jsonl", batch.errors);
        }
    }

}
