package io.travelart.devstack.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * OpenAI's Files API as the simulator serves it for the Batch API: {@code POST /v1/files} (multipart, purpose
 * {@code batch}), {@code GET /v1/files/{id}} and {@code /content}. Batches keep their output and error files here
 * ({@link #store}). An output file of image lines is as large as OpenAI's (base64 of megabyte images: a 500-line file
 * is over a gigabyte), so it is not held: each image line keeps its answer without the image, which is drawn again,
 * the same bytes, while the file is downloaded, one line at a time.
 */
final class SimulatedFiles {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern BOUNDARY = Pattern.compile("boundary=\"?([^\";]+)\"?");

    /** The {@code b64_json} of an image line's answer until the file is downloaded: the image is drawn then. */
    static final String IMAGE_LATER = "travelart-simulator:image-drawn-when-read";

    /** A line of an output or error file: its text, or its text around an image drawn when the file is read. */
    record Line(String text, JsonNode imageBody) {
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

    private final Clock clock;
    private final Function<JsonNode, byte[]> images;
    private final Map<String, Upload> files = new ConcurrentHashMap<>();
    private volatile Instant filesDownUntil = Instant.EPOCH;
    /** The key may not use the Files API (a restricted project key): it answers 403. */
    private volatile boolean forbidden;

    /** @param images the image bytes of an images line's body, drawn when its output file is read */
    SimulatedFiles(Clock clock, Function<JsonNode, byte[]> images) {
        this.clock = clock;
        this.images = images;
    }

    void downFor(Duration outage) {
        this.filesDownUntil = clock.instant().plus(outage);
    }

    void forbid(boolean forbidden) {
        this.forbidden = forbidden;
    }

    /** Keeps a batch's output or error file, its lines written when it is read; returns its id. */
    String store(String name, List<Line> lines) {
        Upload upload = new Upload("file-" + hex(), name, "batch_output", null, List.copyOf(lines), clock.instant().getEpochSecond());
        files.put(upload.id(), upload);
        return upload.id();
    }

    /** The bytes of an uploaded file of purpose {@code batch}, empty for any other id. */
    Optional<byte[]> batchInput(String id) {
        Upload upload = files.get(id);
        return upload == null || !upload.purpose().equals("batch") ? Optional.empty() : Optional.of(upload.bytes());
    }

    static String hex() {
        return UUID.randomUUID().toString().replace("-", "").toLowerCase(Locale.ROOT);
    }

    void files(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (forbidden) {
                Answer.forbidden("api.files.write").sendTo(exchange);
                return;
            }
            if (clock.instant().isBefore(filesDownUntil)) {
                Answer.error(503, "server_error", null, "The server is temporarily unavailable.").sendTo(exchange);
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
                    Answer.error(404, "invalid_request_error", null, "No such File object: " + id).sendTo(exchange);
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
                    new Answer(200, file(upload)).sendTo(exchange);
                }
            } else {
                Answer.error(405, "invalid_request_error", null, "Use POST /v1/files or GET /v1/files/{file_id}.").sendTo(exchange);
            }
        }
    }

    private void upload(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        Matcher boundary = type == null ? null : BOUNDARY.matcher(type);
        if (type == null || !type.startsWith("multipart/form-data") || !boundary.find()) {
            Answer.error(400, "invalid_request_error", null, "Expected multipart/form-data with 'file' and 'purpose'.").sendTo(exchange);
            return;
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        Map<String, byte[]> fields = new LinkedHashMap<>();
        Map<String, String> names = new LinkedHashMap<>();
        Multipart.parts(body, boundary.group(1), fields, names);
        String purpose = fields.containsKey("purpose") ? new String(fields.get("purpose"), StandardCharsets.UTF_8).strip() : null;
        if (!fields.containsKey("file") || purpose == null) {
            Answer.error(400, "invalid_request_error", "missing_required_parameter", "'file' and 'purpose' are required.").sendTo(exchange);
            return;
        }
        if (!purpose.equals("batch")) {
            Answer.error(400, "invalid_request_error", "invalid_value",
                    "This simulator takes files for the Batch API only (purpose 'batch').").sendTo(exchange);
            return;
        }
        Upload upload = new Upload("file-" + hex(), names.getOrDefault("file", "upload.jsonl"), purpose, fields.get("file"), null,
                clock.instant().getEpochSecond());
        files.put(upload.id(), upload);
        new Answer(200, file(upload)).sendTo(exchange);
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
}
