package io.travelart.image.comfyui;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import io.travelart.core.json.Json;
import io.travelart.image.download.BoundedDownload;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * ComfyUI's HTTP routes, as its server serves them: {@code POST /prompt} (queue a graph under a prompt id we choose),
 * {@code GET /history/{prompt_id}}, {@code POST /history} (delete an entry), {@code GET /queue}, {@code POST /queue}
 * (delete a pending job), {@code GET /view} (an output image) and {@code GET /system_stats}. On the JDK's HTTP client:
 * a handful of JSON calls need no other.
 */
public final class ComfyUiClient {

    private static final ObjectMapper JSON = Json.mapper();

    /** An image a job saved, as {@code /history} lists it and {@code /view} serves it. */
    public record ImageRef(String node, String filename, String subfolder, String type) {
    }

    /**
     * A job as {@code /history/{prompt_id}} tells it.
     *
     * @param status    {@code success} or {@code error} (ComfyUI's {@code status_str})
     * @param computeMs from {@code execution_start} to {@code execution_success}, when both are timestamped
     * @param error     the {@code execution_error} or {@code execution_interrupted} message's data, with its type
     */
    public record Job(String status, List<ImageRef> images, Optional<Long> computeMs, Optional<String> errorType,
                      Optional<JsonNode> error) {
        public boolean succeeded() {
            return "success".equals(status);
        }
    }

    private final URI base;
    private final Duration timeout;
    /** The most a JSON answer may hold. */
    static final long MAX_ANSWER_BYTES = 16L << 20;

    private final HttpClient http;

    public ComfyUiClient(URI base, Duration timeout) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    public URI base() {
        return base;
    }

    /** Queues the graph under {@code promptId}; a refusal (400 with node errors) is thrown in our error codes. */
    public void queue(String promptId, ObjectNode graph, String clientId, Map<String, String> extraData) {
        ObjectNode body = JSON.createObjectNode();
        body.set("prompt", graph);
        body.put("prompt_id", promptId);
        body.put("client_id", clientId);
        ObjectNode extra = body.putObject("extra_data");
        extraData.forEach(extra::put);
        HttpResponse<String> response = send("queueing a job", HttpRequest.newBuilder(base.resolve("prompt"))
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).header("Content-Type", "application/json"));
        if (response.statusCode() == 400) {
            throw ComfyUiException.refused(json("POST /prompt", response.body()));
        }
        requireOk("POST /prompt", response);
        JsonNode answer = json("POST /prompt", response.body());
        if (!promptId.equals(answer.path("prompt_id").asText())) {
            // Servers before ComfyUI took a client's prompt id choose their own: we could not find the job again.
            throw ComfyUiException.invalid("POST /prompt answered prompt id '" + answer.path("prompt_id").asText()
                    + "' for " + promptId + "; this ComfyUI is too old to take a client's prompt id (update it)");
        }
    }

    /** The job's history entry, or empty when the server does not know it (not finished, or never seen). */
    public Optional<Job> history(String promptId) {
        HttpResponse<String> response = send("reading a job's history", HttpRequest.newBuilder(base.resolve("history/" + encode(promptId))).GET());
        requireOk("GET /history", response);
        JsonNode entry = json("GET /history", response.body()).path(promptId);
        if (!entry.isObject()) {
            return Optional.empty();
        }
        JsonNode status = entry.path("status");
        List<ImageRef> images = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> outputs = entry.path("outputs").fields(); outputs.hasNext(); ) {
            Map.Entry<String, JsonNode> output = outputs.next();
            for (JsonNode image : output.getValue().path("images")) {
                images.add(new ImageRef(output.getKey(), image.path("filename").asText(), image.path("subfolder").asText(""),
                        image.path("type").asText("output")));
            }
        }
        Long started = null;
        Long finished = null;
        String errorType = null;
        JsonNode error = null;
        for (JsonNode message : status.path("messages")) {
            String type = message.path(0).asText();
            JsonNode data = message.path(1);
            switch (type) {
                case "execution_start" -> started = data.path("timestamp").isNumber() ? data.path("timestamp").asLong() : null;
                case "execution_success" -> finished = data.path("timestamp").isNumber() ? data.path("timestamp").asLong() : null;
                case "execution_error", "execution_interrupted" -> {
                    errorType = type;
                    error = data;
                }
                default -> {
                }
            }
        }
        Optional<Long> compute = started != null && finished != null && finished >= started ? Optional.of(finished - started) : Optional.empty();
        String statusText = status.path("status_str").asText(errorType != null ? "error" : images.isEmpty() ? "" : "success");
        return Optional.of(new Job(statusText, List.copyOf(images), compute, Optional.ofNullable(errorType), Optional.ofNullable(error)));
    }

    /** Whether the job is running or waiting in the server's queue. */
    public boolean queued(String promptId) {
        HttpResponse<String> response = send("reading the queue", HttpRequest.newBuilder(base.resolve("queue")).GET());
        requireOk("GET /queue", response);
        JsonNode queue = json("GET /queue", response.body());
        for (String part : List.of("queue_running", "queue_pending")) {
            for (JsonNode item : queue.path(part)) {
                if (promptId.equals(item.path(1).asText())) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Deletes the job's history entry, so that the same prompt id can be queued again. */
    public void forget(String promptId) {
        post("history", "{\"delete\":[" + JSON.valueToTree(promptId) + "]}", "POST /history");
    }

    /** Takes a waiting job out of the queue (a running one goes on: ComfyUI interrupts only the running job, whoever's it is). */
    public void cancel(String promptId) {
        post("queue", "{\"delete\":[" + JSON.valueToTree(promptId) + "]}", "POST /queue");
    }

    /** An output image's bytes. */
    public byte[] view(ImageRef image) {
        String query = "filename=" + encode(image.filename()) + "&subfolder=" + encode(image.subfolder()) + "&type=" + encode(image.type());
        HttpResponse<byte[]> response;
        try {
            // The whole image within the timeout and the size cap: the server's answer must not hold or fill the worker.
            response = BoundedDownload.send(http, HttpRequest.newBuilder(base.resolve("view?" + query)).GET().timeout(timeout).build(),
                    BoundedDownload.MAX_IMAGE_BYTES, timeout);
        } catch (BoundedDownload.DownloadException e) {
            if (e.refused()) {
                throw ComfyUiException.invalid("GET /view of " + image.filename() + ": " + e.getMessage());
            }
            throw ComfyUiException.io("fetching " + image.filename(), e);
        } catch (IOException e) {
            throw ComfyUiException.io("fetching " + image.filename(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.travelart.core.failure.CallFailedException(io.travelart.core.failure.Failure.retriable(
                    io.travelart.core.failure.ErrorCodes.INTERRUPTED, "the worker stopped while fetching " + image.filename()), e);
        }
        if (response.statusCode() != 200) {
            throw ComfyUiException.status("GET /view of " + image.filename(), response.statusCode(), "");
        }
        return response.body();
    }

    /** {@code GET /system_stats}: the server's version and devices. */
    public JsonNode systemStats() {
        HttpResponse<String> response = send("reading system stats", HttpRequest.newBuilder(base.resolve("system_stats")).GET());
        requireOk("GET /system_stats", response);
        return json("GET /system_stats", response.body());
    }

    private void post(String path, String body, String what) {
        HttpResponse<String> response = send(what, HttpRequest.newBuilder(base.resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json"));
        requireOk(what, response);
    }

    /** An answer of at most {@link #MAX_ANSWER_BYTES}: JSON of one job, the queue, or the server's stats. */
    private HttpResponse<String> send(String what, HttpRequest.Builder request) {
        return send(what, request, info -> HttpResponse.BodySubscribers.mapping(BoundedDownload.capped(info.headers(), MAX_ANSWER_BYTES),
                bytes -> new String(bytes, StandardCharsets.UTF_8)));
    }

    private <T> HttpResponse<T> send(String what, HttpRequest.Builder request, HttpResponse.BodyHandler<T> body) {
        try {
            return http.send(request.timeout(timeout).build(), body);
        } catch (IOException e) {
            throw ComfyUiException.io(what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.travelart.core.failure.CallFailedException(io.travelart.core.failure.Failure.retriable(
                    io.travelart.core.failure.ErrorCodes.INTERRUPTED, "the worker stopped while " + what), e);
        }
    }

    private static void requireOk(String what, HttpResponse<String> response) {
        if (response.statusCode() != 200) {
            throw ComfyUiException.status(what, response.statusCode(), response.body());
        }
    }

    private static JsonNode json(String what, String body) {
        try {
            return JSON.readTree(body);
        } catch (JsonProcessingException e) {
            throw ComfyUiException.invalid(what + " is not JSON: " + e.getOriginalMessage());
        }
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
