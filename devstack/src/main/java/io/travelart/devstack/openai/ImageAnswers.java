package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.travelart.devstack.image.ImageRenderer;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What {@code /v1/images/generations} answers: OpenAI's shape (base64, or a URL to an expiring file under
 * {@code /v1/simulator/files/}) with the checks OpenAI makes of model, size and parameters, or the shape of an
 * OpenAI-compatible server (LocalAI, vLLM-Omni) when the settings' dialect says so.
 */
final class ImageAnswers {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SIZE = Pattern.compile("(\\d{2,4})x(\\d{2,4})");

    private record StoredFile(byte[] bytes, Instant expires) {
    }

    private final Account account;
    private final Supplier<SimulatorSettings> settings;
    /** Where the expiring files are served: {@code http://host:port/v1/simulator/files/}. */
    private final Supplier<String> filesBase;
    private final Map<String, StoredFile> files = new ConcurrentHashMap<>();
    private final Map<String, byte[]> reused = new ConcurrentHashMap<>();

    ImageAnswers(Account account, Supplier<SimulatorSettings> settings, Supplier<String> filesBase) {
        this.account = account;
        this.settings = settings;
        this.filesBase = filesBase;
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
        if (settings.get().dialect() != SimulatorSettings.Dialect.OPENAI) {
            return compatibleImageAnswer(body, prompt, live, settings.get());
        }
        Optional<Answer> notServed = account.notServed(model);
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
        Optional<Answer> noQuota = account.quotaRefusal();
        if (noQuota.isPresent()) {
            return noQuota.get();
        }
        SimulatorSettings s = settings.get();
        if (prompt.contains(s.refusalMarker())) {
            return Answer.error(400, "image_generation_user_error", "content_policy_violation",
                    "Your request was rejected as a result of our safety system. Your prompt may contain text that is not allowed by our safety system.");
        }
        boolean dalle = model.startsWith("dall-e");
        String format = live ? body.path("response_format").asText(
                dalle || s.imageMode() == SimulatorSettings.ImageMode.URL ? "url" : "b64_json") : "b64_json";
        if (live) {
            Latency.pause(s.imageLatency(), s.jitter());
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
            image.put("url", filesBase.get() + id + "." + outputFormat);
        } else {
            image.put("b64_json", png == null ? SimulatedFiles.IMAGE_LATER : Base64.getEncoder().encodeToString(png));
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
            long input = SimulatedPrompts.tokens(prompt);
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
        SimulatorSettings s = settings.get();
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
            Latency.pause(s.imageLatency(), s.jitter());
        }
        byte[] png = ImageRenderer.render(prompt, 0, Integer.parseInt(sizeMatch.group(1)), Integer.parseInt(sizeMatch.group(2)), "png",
                s.imageDetail());
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
                image.put("url", filesBase.get() + id + ".png");
            }
            answer.putObject("usage").put("prompt_tokens", 0).put("completion_tokens", 0).put("total_tokens", 0);
        } else {
            image.put("b64_json", Base64.getEncoder().encodeToString(png));
            image.putNull("url");
            image.putNull("revised_prompt");
        }
        return new Answer(200, answer);
    }

    /** {@code GET /v1/simulator/files/{id}.{ext}}: an image answered as a URL, until it expires. */
    void file(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        String id = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
        StoredFile stored = files.get(id);
        if (stored == null || Instant.now().isAfter(stored.expires())) {
            files.remove(id);
            exchange.sendResponseHeaders(404, -1);
            return;
        }
        String type = name.endsWith(".jpeg") ? "jpeg" : name.endsWith(".webp") ? "webp" : "png";
        exchange.getResponseHeaders().set("Content-Type", "image/" + type);
        exchange.sendResponseHeaders(200, stored.bytes().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(stored.bytes());
        }
    }
}
