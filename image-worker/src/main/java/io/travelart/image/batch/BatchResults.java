package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.ObjectMappers;
import com.openai.models.batches.Batch;
import com.openai.models.images.ImagesResponse;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.engine.FailureEvents;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.ImageModels;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestFailed;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageFormat;
import io.travelart.image.ImageSize;
import io.travelart.image.ReadyEvents;
import io.travelart.image.StoredImage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an ended batch into one result record per request: the output file's lines, then the error file's, each
 * streamed one line at a time (a line holds one image: only one is in memory), then a failure for whatever has no
 * line. What is kept per request is its small pending record and its result event, never an image. The results carry
 * the image stage's trace and CloudEvents headers, continued from the pending record.
 */
final class BatchResults {

    private static final Logger log = LoggerFactory.getLogger(BatchResults.class);
    /** The image stage's CloudEvents source: a batch result is the image stage's answer as much as an interactive one. */
    private static final String SOURCE = "/travelart/" + StageNames.IMAGE.toLowerCase(Locale.ROOT);
    private static final EventHeaders.Template READY_HEADERS = new EventHeaders.Template(ImageReady.getClassSchema().getFullName(), SOURCE);
    private static final EventHeaders.Template FAILED_HEADERS = new EventHeaders.Template(RequestFailed.getClassSchema().getFullName(), SOURCE);

    /** One request of a batch: its pending record (bytes and headers) and what it asked for. */
    record Request(ConsumerRecord<String, byte[]> origin, PromptCreated input) {
    }

    /** The records to publish for a batch, and its counts. */
    record Answered(List<ProducerRecord<String, byte[]>> records, int ready, int failed, double cost) {
    }

    private record Outcome(ImageReady ready, Failure failure, double cost) {
    }

    private final OpenAiBatches api;
    private final BatchLane.Drawing drawing;
    private final EventSerde serde;
    private final WorkerMetrics metrics;
    private final String imageReadyTopic;
    private final String failedTopic;

    BatchResults(OpenAiBatches api, BatchLane.Drawing drawing, EventSerde serde, WorkerMetrics metrics, String imageReadyTopic,
                 String failedTopic) {
        this.api = api;
        this.drawing = drawing;
        this.serde = serde;
        this.metrics = metrics;
        this.imageReadyTopic = imageReadyTopic;
        this.failedTopic = failedTopic;
    }

    /** @param requests the batch's requests by request id, in the order of their pending records */
    Answered answer(BatchRecord record, Batch batch, String status, Map<String, Request> requests, Instant now) {
        Map<String, Outcome> outcomes = new HashMap<>();
        int skipped = api.forEachLine(batch.outputFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            Request request = requests.get(requestId);
            if (request != null && !outcomes.containsKey(requestId)) {
                outcomes.put(requestId, line.path("response").path("status_code").asInt() == 200
                        ? draw(request.input(), line.path("response").path("body"), now)
                        : new Outcome(null, failure(line, status), 0));
            }
        });
        skipped += api.forEachLine(batch.errorFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            if (requests.containsKey(requestId) && !outcomes.containsKey(requestId)) {
                outcomes.put(requestId, new Outcome(null, failure(line, status), 0));
            }
        });
        if (skipped > 0) {
            log.warn("batch lane: {} lines of {}'s files were unreadable or over {} bytes; their requests end without a result",
                    skipped, record.batchId(), OpenAiBatches.MAX_LINE_BYTES);
        }
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        int ready = 0;
        int failed = 0;
        double cost = 0;
        for (Map.Entry<String, Request> entry : requests.entrySet()) {
            String requestId = entry.getKey();
            Request request = entry.getValue();
            Outcome outcome = outcomes.getOrDefault(requestId, new Outcome(null, failure(null, status), 0));
            var headers = request.origin().headers();
            if (outcome.ready() != null) {
                ready++;
                cost += outcome.cost();
                records.add(new ProducerRecord<>(imageReadyTopic, null, requestId, serde.serialize(imageReadyTopic, outcome.ready()),
                        READY_HEADERS.forOutput(headers, requestId, now)));
            } else {
                failed++;
                RequestFailed event = FailureEvents.of(bytes(request.origin()), StageNames.IMAGE, outcome.failure(), requestId,
                        request.input().getRequest().getKeyword(), Instant.ofEpochMilli(record.submittedAtMs()), now);
                records.add(new ProducerRecord<>(failedTopic, null, requestId, serde.serialize(failedTopic, event),
                        FAILED_HEADERS.forOutput(headers, requestId, now)));
            }
        }
        return new Answered(records, ready, failed, cost);
    }

    /** The one INGEST failure of a pending record that is not a prompt-created; it keeps its key, cut to a key's length. */
    ProducerRecord<String, byte[]> ingestFailure(ConsumerRecord<String, byte[]> record, String reason, Instant now) {
        String key = FailureEvents.cut(record.key(), RequestBounds.REQUEST_ID_MAX);
        RequestFailed event = FailureEvents.of(bytes(record), StageNames.INGEST, Failure.permanent(ErrorCodes.INGEST, reason),
                null, null, now, now);
        return new ProducerRecord<>(failedTopic, null, key, serde.serialize(failedTopic, event),
                FAILED_HEADERS.forOutput(record.headers(), key, now));
    }

    /** A line's image, stored (or found stored) and described. */
    private Outcome draw(PromptCreated input, JsonNode body, Instant now) {
        GeneratedImage image;
        try {
            image = drawing.generator().image(ObjectMappers.jsonMapper().treeToValue(body, ImagesResponse.class));
        } catch (Exception e) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's answer holds no image: " + e), 0);
        }
        Optional<ImageFormat> format = ImageFormat.of(image.bytes());
        if (format.isEmpty()) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's bytes are not an image"), 0);
        }
        ImageSize size = drawing.size(input);
        Optional<String> wrongSize = format.get().sizeProblem(size);
        if (wrongSize.isPresent()) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's image is " + wrongSize.get()), 0);
        }
        StoredImage stored;
        try {
            Optional<StoredImage> existing = drawing.store().find(input.getRequestId());
            stored = existing.isPresent() ? existing.get() : drawing.store().put(input.getRequestId(), image.bytes(), format.get());
        } catch (Exception e) {
            throw new IllegalStateException("storing the image of " + input.getRequestId() + " failed: " + e.getMessage(), e);
        }
        double cost = metrics.tokens(StageNames.IMAGE, image.model(), image.usage(), WorkerMetrics.BATCH);
        metrics.image(image.model(), ImageModels.sizeTag(size.toString()), image.usage(), null);
        long latency = Duration.between(input.getCreatedAt(), now).toMillis();
        return new Outcome(ReadyEvents.of(input, stored, drawing.links().url(stored), image, image.model(),
                latency, now, Priorities.BATCH), null, cost);
    }

    private static Failure failure(JsonNode line, String status) {
        if (line == null) {
            return "completed".equals(status)
                    ? Failure.retriable(ErrorCodes.INVALID_ANSWER, "the completed batch has no line for this request")
                    : Failure.retriable(ErrorCodes.BATCH_EXPIRED, "the batch was " + status + " before this request ran");
        }
        if ("batch_expired".equals(line.path("error").path("code").asText())) {
            return Failure.retriable(ErrorCodes.BATCH_EXPIRED, "the batch expired before this request ran");
        }
        int code = line.path("response").path("status_code").asInt();
        JsonNode error = line.path("response").path("body").path("error");
        String message = error.path("message").asText(line.path("error").path("message").asText("the batch line failed"));
        if ("content_policy_violation".equals(error.path("code").asText())) {
            return Failure.permanent(ErrorCodes.CONTENT_POLICY, message);
        }
        if (code == 429) {
            return Failure.retriable(ErrorCodes.RATE_LIMITED, message);
        }
        if (code >= 500) {
            return Failure.retriable(ErrorCodes.UPSTREAM_5XX, message);
        }
        return Failure.permanent(ErrorCodes.UPSTREAM_4XX, "HTTP " + code + ": " + message);
    }

    private static ConsumerRecord<byte[], byte[]> bytes(ConsumerRecord<String, byte[]> record) {
        ConsumerRecord<byte[], byte[]> copy = new ConsumerRecord<>(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value());
        record.headers().forEach(h -> copy.headers().add(h));
        return copy;
    }
}
