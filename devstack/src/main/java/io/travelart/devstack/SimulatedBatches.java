package io.travelart.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's Files and Batch APIs as the simulator serves them, after OpenAI's published OpenAPI description:
 * {@code POST /v1/files} (multipart, purpose {@code batch}), {@code GET /v1/files/{id}} and
 * {@code /content}; {@code POST /v1/batches}, {@code GET /v1/batches[/{id}]}, {@code POST /v1/batches/{id}/cancel}.
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
 * <p>An output file of image lines is as large as OpenAI's (base64 of megabyte images: a 500-line file is over a
 * gigabyte), so it is not held: each image line keeps its answer without the image, which is drawn again, the same
 * bytes, while the file is downloaded, one line at a time.
 */
final class SimulatedBatches {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?");
    private static final Pattern FIELD = Pattern.compile("name=\"([^\"]*)\"(?:; *filename=\"([^\"]*)\")?");

    /** The {@code b64_json} of an image line's answer until the file is downloaded: the image is drawn then. */
    static final String IMAGE_LATER = "travelart-simulator:image-drawn-when-read";

    /** A line of an output or error file: its text, or its text around an image drawn when the file is read. */
    private record Line(String text, JsonNode imageBody) {
        void writeTo(OutputStream out, java.util.function.Function<JsonNode, byte[]> images) throws IOException {
            if (imageBody == null) {
                out.write(text.getBytes(StandardCharsets.UTF_8));
                return;
            }
            int at = text.indexOf(IMAGE_LATER);
            if (at < 0) {
                throw new IllegalStateException("an image line without its placeholder");
            }
            out.write(text.substring(0, at).getBytes(StandardCharsets.UTF_8));
            OutputStream base64 = java.util.Base64.getEncoder().wrap(new java.io.FilterOutputStream(out) {
                @Override
                public void close() throws IOException {
                    flush(); // the encoder's padding is written; the response stays open
                }
            });
            base64.write(images.apply(imageBody));
            base64.close();
            out.write(text.substring(at + IMAGE_LATER.length()).getBytes(StandardCharsets.UTF_8));
        }
    }

    /** An uploaded file ({@code bytes}), or an output or error file of {@code lines}, written when read. */
    private record Upload(String id, String filename, String purpose, byte[] bytes, List<Line> lines, long createdAt) {
    }

    /** One batch: its lines, how many have run, and where its life is. Guarded by its own lock. */
    private static final class Batch {
        final String id;
        final String endpoint;
        final String inputFileId;
        final JsonNode metadata;
        final Instant created;
        final List<JsonNode> lines;
        final List<Line> output = new ArrayList<>();
        final List<Line> errors = new ArrayList<>();
        List<BatchErrorData> validation = List.of();
        int run;
        int completed;
        int failed;
        String status = "validating";
        final Map<String, Instant> times = new LinkedHashMap<>();
        String outputFileId;
        String errorFileId;

        Batch(String id, String endpoint, String inputFileId, JsonNode metadata, Instant created, List<JsonNode> lines) {
            this.id = id;
            this.endpoint = endpoint;
            this.inputFileId = inputFileId;
            this.metadata = metadata;
            this.created = created;
            this.lines = lines;
        }
    }

    /** One of a batch's validation errors, as the Batch API lists them in {@code errors.data}. */
    private record BatchErrorData(String code, String message, String param, int line) {
    }

    private final Clock clock;
    private final BiFunction<String, JsonNode, Answer> answers;
    private final java.util.function.Function<JsonNode, byte[]> images;
    private final Set<String> refusedModels = ConcurrentHashMap.newKeySet();
    private final Map<String, Upload> files = new ConcurrentHashMap<>();
    private final Map<String, Batch> batches = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final Map<String, AtomicLong> billed = new ConcurrentHashMap<>();
    private volatile Duration duration = Duration.ofSeconds(2);
    private volatile boolean expireHalfDone;
    private volatile Instant filesDownUntil = Instant.EPOCH;
    /** The key may not use the Files and Batch APIs (a restricted project key): both answer 403. */
    private volatile boolean forbidden;

    /**
     * @param answers what the synchronous endpoint (its URL path) answers to a line's body; an image answer's
     *                {@code b64_json} is {@link #IMAGE_LATER}
     * @param images  the image bytes of an images line's body, drawn when its output file is read
     */
    SimulatedBatches(Clock clock, BiFunction<String, JsonNode, Answer> answers, java.util.function.Function<JsonNode, byte[]> images) {
        this.clock = clock;
        this.answers = answers;
        this.images = images;
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
        this.filesDownUntil = clock.instant().plus(outage);
    }

    void forbid(boolean forbidden) {
        this.forbidden = forbidden;
    }

    /** Answers 403 as OpenAI does for a key without the scope, when the fault is on; true when it did. */
    private boolean refusedScope(HttpExchange exchange, String scope) throws IOException {
        if (!forbidden) {
            return false;
        }
        send(exchange, Answer.error(403, "invalid_request_error", null,
                "You have insufficient permissions for this operation. Missing scopes: " + scope + "."));
        return true;
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

    // ---- files ----

    void files(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (refusedScope(exchange, "api.files.write")) {
                return;
            }
            if (clock.instant().isBefore(filesDownUntil)) {
                send(exchange, Answer.error(503, "server_error", null, "The server is temporarily unavailable."));
                return;
            }
            String path = exchange.getRequestURI().getPath();
            String rest = path.length() > "/v1/files".length() ? path.substring("/v1/files/".length()) : "";
            if (rest.isEmpty() && "POST".equals(exchange.getRequestMethod())) {
                upload(exchange);
            } else if (!rest.isEmpty() && "GET".equals(exchange.getRequestMethod())) {
                boolean content = rest.endsWith("/content");
                String id = content ? rest.substring(0, rest.length() - "/content".length()) : rest;
                Upload upload = files.get(id);
                if (upload == null) {
                    send(exchange, Answer.error(404, "invalid_request_error", null, "No such File object: " + id));
                } else if (content) {
                    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
                    if (upload.lines() == null) {
                        exchange.sendResponseHeaders(200, upload.bytes().length);
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(upload.bytes());
                        }
                    } else {
                        exchange.sendResponseHeaders(200, 0); // chunked: the lines are written as their images are drawn
                        try (OutputStream out = new java.io.BufferedOutputStream(exchange.getResponseBody(), 64 * 1024)) {
                            writeLines(upload, out);
                        }
                    }
                } else {
                    send(exchange, new Answer(200, file(upload)));
                }
            } else {
                send(exchange, Answer.error(405, "invalid_request_error", null, "Use POST /v1/files or GET /v1/files/{file_id}."));
            }
        }
    }

    private void upload(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        Matcher boundary = type == null ? null : BOUNDARY.matcher(type);
        if (type == null || !type.startsWith("multipart/form-data") || !boundary.find()) {
            send(exchange, Answer.error(400, "invalid_request_error", null, "Expected multipart/form-data with 'file' and 'purpose'."));
            return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, byte[]> fields = new LinkedHashMap<>();
        Map<String, String> names = new LinkedHashMap<>();
        parts(body, boundary.group(1), fields, names);
        String purpose = fields.containsKey("purpose") ? new String(fields.get("purpose"), StandardCharsets.UTF_8).strip() : null;
        if (!fields.containsKey("file") || purpose == null) {
            send(exchange, Answer.error(400, "invalid_request_error", "missing_required_parameter", "'file' and 'purpose' are required."));
            return;
        }
        if (!purpose.equals("batch")) {
            send(exchange, Answer.error(400, "invalid_request_error", "invalid_value",
                    "This simulator takes files for the Batch API only (purpose 'batch')."));
            return;
        }
        Upload upload = new Upload("file-" + hex(), names.getOrDefault("file", "upload.jsonl"), purpose, fields.get("file"), null,
                clock.instant().getEpochSecond());
        files.put(upload.id(), upload);
        send(exchange, new Answer(200, file(upload)));
    }

    /** The parts of a multipart/form-data body: each field's bytes, and each file field's file name. */
    static void parts(byte[] body, String boundary, Map<String, byte[]> fields, Map<String, String> filenames) {
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        while (at >= 0) {
            int start = at + delimiter.length;
            if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
                return;
            }
            start += 2; // CRLF after the delimiter
            int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
            int next = indexOf(body, delimiter, start);
            if (headersEnd < 0 || next < 0) {
                return;
            }
            String headers = new String(body, start, headersEnd - start, StandardCharsets.UTF_8);
            int contentEnd = next - 2; // CRLF before the next delimiter
            Matcher field = FIELD.matcher(headers);
            if (field.find() && contentEnd >= headersEnd + 4) {
                fields.put(field.group(1), java.util.Arrays.copyOfRange(body, headersEnd + 4, contentEnd));
                if (field.group(2) != null) {
                    filenames.put(field.group(1), field.group(2));
                }
            }
            at = next;
        }
    }

    private static int indexOf(byte[] data, byte[] pattern, int from) {
        outer:
        for (int i = Math.max(0, from); i <= data.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void writeLines(Upload upload, OutputStream out) throws IOException {
        for (Line line : upload.lines()) {
            line.writeTo(out, images);
            out.write('\n');
        }
    }

    private ObjectNode file(Upload upload) throws IOException {
        long size;
        if (upload.lines() == null) {
            size = upload.bytes().length;
        } else {
            // Counted by writing it: the images are drawn again, once, for a caller that asks (the lane does not).
            var counter = new OutputStream() {
                long count;

                @Override
                public void write(int b) {
                    count++;
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    count += len;
                }
            };
            writeLines(upload, counter);
            size = counter.count;
        }
        ObjectNode node = JSON.createObjectNode();
        node.put("id", upload.id());
        node.put("object", "file");
        node.put("bytes", size);
        node.put("created_at", upload.createdAt());
        node.put("filename", upload.filename());
        node.put("purpose", upload.purpose());
        node.put("status", "processed");
        return node;
    }

    // ---- batches ----

    void batches(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (refusedScope(exchange, "api.batch.write")) {
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
                    send(exchange, Answer.error(404, "invalid_request_error", null, "No such batch."));
                    return;
                }
                send(exchange, new Answer(200, cancel(batch.get())));
            } else if (!rest.isEmpty() && "GET".equals(method)) {
                Optional<Batch> batch = find(rest);
                send(exchange, batch.map(b -> new Answer(200, read(b)))
                        .orElseGet(() -> Answer.error(404, "invalid_request_error", null, "No such batch: " + rest)));
            } else {
                send(exchange, Answer.error(405, "invalid_request_error", null, "Method not allowed."));
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
        }
        String endpoint = body.path("endpoint").asText("");
        String window = body.path("completion_window").asText("");
        Upload input = files.get(body.path("input_file_id").asText(""));
        if (!List.of("/v1/images/generations", "/v1/chat/completions").contains(endpoint) || !window.equals("24h")) {
            send(exchange, Answer.error(400, "invalid_request_error", "invalid_value",
                    "endpoint must be /v1/images/generations or /v1/chat/completions here, and completion_window 24h."));
            return;
        }
        if (input == null || !input.purpose().equals("batch")) {
            send(exchange, Answer.error(400, "invalid_request_error", "invalid_value", "input_file_id must name an uploaded batch file."));
            return;
        }
        List<JsonNode> lines = new ArrayList<>();
        for (String line : new String(input.bytes(), StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode parsed = JSON.readTree(line);
            if (!parsed.path("custom_id").isTextual() || !endpoint.equals(parsed.path("url").asText())
                    || !"POST".equals(parsed.path("method").asText())) {
                send(exchange, Answer.error(400, "invalid_request_error", "invalid_value",
                        "every line needs custom_id, method POST and url " + endpoint + ": " + line));
                return;
            }
            lines.add(parsed);
        }
        Batch batch = new Batch("batch_" + hex(), endpoint, input.id(), body.path("metadata"), clock.instant(), lines);
        List<BatchErrorData> invalid = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String model = lines.get(i).path("body").path("model").asText("");
            if (refusedModels.contains(model)) {
                invalid.add(new BatchErrorData("model_not_supported", "The model '" + model + "' is not supported by the Batch API for "
                        + endpoint + ".", "body.model", i + 1));
            }
        }
        batch.validation = List.copyOf(invalid);
        batches.put(batch.id, batch);
        send(exchange, new Answer(200, read(batch)));
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
        send(exchange, new Answer(200, list));
    }

    /** The batch as it stands now: the lines due by now have run. */
    private ObjectNode read(Batch batch) {
        synchronized (batch) {
            advance(batch, clock.instant());
            return json(batch);
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
            return json(batch);
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
                    batch.errors.add(new Line(line(batch.lines.get(i).path("custom_id").asText(), null,
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
        JsonNode later = answer.status() == 200 && IMAGE_LATER.equals(answer.body().path("data").path(0).path("b64_json").asText())
                ? line.path("body") : null;
        ObjectNode response = JSON.createObjectNode();
        response.put("status_code", answer.status());
        response.put("request_id", "req_" + hex());
        response.set("body", answer.body());
        if (answer.status() == 200) {
            billed.computeIfAbsent(batch.endpoint + " " + customId, k -> new AtomicLong()).incrementAndGet();
            batch.output.add(new Line(line(customId, response, null, null), later));
            batch.completed++;
        } else {
            batch.errors.add(new Line(line(customId, response, null, null), null));
            batch.failed++;
        }
    }

    private static String line(String customId, ObjectNode response, String errorCode, String errorMessage) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", "batch_req_" + hex());
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
            batch.outputFileId = store("batch_" + batch.id + "_output.jsonl", batch.output);
        }
        if (!batch.errors.isEmpty()) {
            batch.errorFileId = store("batch_" + batch.id + "_error.jsonl", batch.errors);
        }
    }

    private String store(String name, List<Line> lines) {
        Upload upload = new Upload("file-" + hex(), name, "batch_output", null, List.copyOf(lines), clock.instant().getEpochSecond());
        files.put(upload.id(), upload);
        return upload.id();
    }

    private ObjectNode json(Batch batch) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", batch.id);
        node.put("object", "batch");
        node.put("endpoint", batch.endpoint);
        node.put("input_file_id", batch.inputFileId);
        node.put("completion_window", "24h");
        node.put("status", batch.status);
        if (batch.outputFileId != null) {
            node.put("output_file_id", batch.outputFileId);
        }
        if (batch.errorFileId != null) {
            node.put("error_file_id", batch.errorFileId);
        }
        node.put("created_at", batch.created.getEpochSecond());
        node.put("expires_at", batch.created.plus(Duration.ofHours(24)).getEpochSecond());
        batch.times.forEach((field, at) -> node.put(field, at.getEpochSecond()));
        node.putObject("request_counts").put("total", batch.lines.size()).put("completed", batch.completed).put("failed", batch.failed);
        if (!batch.validation.isEmpty() && "failed".equals(batch.status)) {
            ObjectNode errors = node.putObject("errors");
            errors.put("object", "list");
            ArrayNode data = errors.putArray("data");
            batch.validation.forEach(e -> data.addObject().put("code", e.code()).put("message", e.message()).put("param", e.param())
                    .put("line", e.line()));
        }
        if (batch.metadata != null && batch.metadata.isObject()) {
            node.set("metadata", batch.metadata);
        }
        return node;
    }

    private static String hex() {
        return UUID.randomUUID().toString().replace("-", "").toLowerCase(Locale.ROOT);
    }

    private static void send(HttpExchange exchange, Answer answer) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(answer.body());
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(answer.status(), bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
