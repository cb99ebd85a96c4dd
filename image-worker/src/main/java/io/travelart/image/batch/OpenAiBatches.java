package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.core.ObjectMappers;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.batches.BatchListParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.images.ImageGenerateParams;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The provider's Batch API as the lane uses it: a JSONL file of image requests (each line's {@code custom_id}
 * the request id), uploaded with purpose {@code batch}, a batch created on it with our submission id in its
 * metadata, read back, and its output and error files downloaded.
 */
public final class OpenAiBatches {

    static final String IMAGES = "/v1/images/generations";
    private static final String SUBMISSION = "travelart_submission";
    private static final String LAST = "travelart_last_offset";
    private static final JsonMapper JSON = ObjectMappers.jsonMapper();

    private final OpenAIClient client;
    private final Clock clock;

    public OpenAiBatches(OpenAIClient client, Clock clock) {
        this.client = client;
        this.clock = clock;
    }

    /** One JSONL line: the same request body the synchronous call sends. */
    static String line(String requestId, ImageGenerateParams params) {
        var line = JSON.createObjectNode();
        line.put("custom_id", requestId);
        line.put("method", "POST");
        line.put("url", IMAGES);
        line.set("body", JSON.valueToTree(params._body()));
        return line.toString();
    }

    /**
     * The batch submitted earlier under this submission id, if the provider has one (created in the last two
     * days): a lane that crashed after creating a batch and before recording it finds it here instead of
     * paying for it again.
     */
    Optional<Batch> find(String submission) {
        long cutoff = clock.instant().minus(Duration.ofDays(2)).getEpochSecond();
        for (Batch batch : client.batches().list(BatchListParams.builder().limit(100).build()).autoPager()) {
            if (batch.createdAt() < cutoff) {
                break;
            }
            if (submission.equals(metadata(batch, SUBMISSION))) {
                return Optional.of(batch);
            }
        }
        return Optional.empty();
    }

    Batch create(String submission, long lastOffset, List<String> lines) {
        byte[] jsonl = (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8);
        var file = client.files().create(FileCreateParams.builder().file(jsonl).purpose(FilePurpose.BATCH).build());
        return client.batches().create(BatchCreateParams.builder()
                .inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_IMAGES_GENERATIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H)
                .metadata(BatchCreateParams.Metadata.builder()
                        .putAdditionalProperty(SUBMISSION, JsonValue.from(submission))
                        .putAdditionalProperty(LAST, JsonValue.from(Long.toString(lastOffset)))
                        .build())
                .build());
    }

    /** The last pending offset a batch holds, from its metadata. */
    static long lastOffset(Batch batch) {
        return Long.parseLong(metadata(batch, LAST));
    }

    Batch retrieve(String batchId) {
        return client.batches().retrieve(batchId);
    }

    /** The lines of an output or error file, by custom_id. */
    Map<String, JsonNode> lines(Optional<String> fileId) {
        Map<String, JsonNode> byId = new java.util.HashMap<>();
        if (fileId.isEmpty()) {
            return byId;
        }
        try (InputStream in = client.files().content(fileId.get()).body()) {
            for (String text : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                // A line that is not a JSON object with a custom_id answers no request: its request ends as one without a result.
                line(text).ifPresent(line -> byId.putIfAbsent(line.path("custom_id").asText(), line));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading the batch file " + fileId.get() + " failed: " + e.getMessage(), e);
        }
        return byId;
    }

    /** One line of an output or error file: a JSON object naming its request ({@code custom_id}), else empty. */
    static Optional<JsonNode> line(String text) {
        if (text.isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode line = JSON.readTree(text);
            return line != null && line.isObject() && line.path("custom_id").isTextual() ? Optional.of(line) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String metadata(Batch batch, String key) {
        if (batch.metadata().isEmpty()) {
            return null;
        }
        JsonValue value = batch.metadata().get()._additionalProperties().get(key);
        if (value == null) {
            return null;
        }
        Optional<String> text = value.asString();
        return text.orElse(null);
    }
}
