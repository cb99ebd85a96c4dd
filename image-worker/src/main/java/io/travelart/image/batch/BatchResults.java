package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.ObjectMappers;
import com.openai.models.batches.Batch;
import com.openai.models.images.ImagesResponse;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Output;
import io.travelart.core.engine.OutputRecords;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.ImageModels;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageDefaults;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an ended batch into one output per request: the output file's lines, then the error file's, each streamed one
 * line at a time (a line holds one image: only one is in memory), then a failure for whatever has no line. A line's
 * image goes through the image stage's {@link io.travelart.image.ImageOutcomes} (found stored, or checked and stored: a
 * store that fails is that request's STORAGE failure), an error line through the one classification
 * ({@link OpenAiErrors#classifyAnswer}), and every outcome through the engine's {@link OutputRecords}: the same headers,
 * trace continuation and failure events as an interactive answer. What is kept per request is its small pending record
 * and its outcome, never an image.
 */
final class BatchResults {

    private static final Logger log = LoggerFactory.getLogger(BatchResults.class);

    /** One request of a batch: its pending record (bytes and headers) and what it asked for. */
    record Request(ConsumerRecord<byte[], byte[]> origin, PromptCreated input) {
    }

    /** The outputs to publish for a batch, and its counts. */
    record Answered(List<Output.Send> outputs, int ready, int failed, double cost) {
    }

    private record Result(Outcome<ImageReady> outcome, double cost) {
    }

    private final BatchService api;
    private final BatchLane.Drawing drawing;
    private final OutputRecords outputs;
    private final WorkerMetrics metrics;

    BatchResults(BatchService api, BatchLane.Drawing drawing, OutputRecords outputs, WorkerMetrics metrics) {
        this.api = api;
        this.drawing = drawing;
        this.outputs = outputs;
        this.metrics = metrics;
    }

    /**
     * @param requests the batch's requests by request id, in the order of their pending records
     * @throws IllegalStateException when an outcome cannot be serialized (the registry away): nothing is published, the
     *                               batch is answered again on a later turn
     */
    Answered answer(BatchRecord record, Batch batch, String status, Map<String, Request> requests, Instant now) {
        Map<String, Result> results = new HashMap<>();
        int skipped = api.forEachLine(batch.outputFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            Request request = requests.get(requestId);
            if (request != null && !results.containsKey(requestId)) {
                results.put(requestId, line.path("response").path("status_code").asInt() == 200
                        ? draw(request.input(), line.path("response").path("body"), now)
                        : new Result(Outcome.failed(failure(line, status)), 0));
            }
        });
        skipped += api.forEachLine(batch.errorFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            if (requests.containsKey(requestId) && !results.containsKey(requestId)) {
                results.put(requestId, new Result(Outcome.failed(failure(line, status)), 0));
            }
        });
        if (skipped > 0) {
            log.warn("batch lane: {} lines of {}'s files were unreadable or over {} bytes; their requests end without a result",
                    skipped, record.batchId(), OpenAiBatches.MAX_LINE_BYTES);
        }
        List<Output.Send> sends = new ArrayList<>();
        int ready = 0;
        double cost = 0;
        Instant submitted = Instant.ofEpochMilli(record.submittedAtMs());
        for (Map.Entry<String, Request> entry : requests.entrySet()) {
            Request request = entry.getValue();
            Result result = results.getOrDefault(entry.getKey(), new Result(Outcome.failed(failure(null, status)), 0));
            Output.Send send = LaneTransactions.sendable(outputs.of(request.origin(), result.outcome(),
                    new OutputRecords.Request(entry.getKey(), request.input().getRequest().getKeyword(), submitted), now));
            sends.add(send);
            // Every line that ran is paid, kept or not.
            cost += result.cost();
            if (!send.failed()) {
                ready++;
            }
        }
        return new Answered(sends, ready, sends.size() - ready, cost);
    }

    /** A line's image, found stored or checked and stored, as the image stage does with an image it drew. */
    private Result draw(PromptCreated input, JsonNode body, Instant now) {
        GeneratedImage image;
        try {
            image = drawing.lines().image(ObjectMappers.jsonMapper().treeToValue(body, ImagesResponse.class));
        } catch (Exception e) {
            return new Result(Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's answer holds no image: " + e)), 0);
        }
        // Paid for whether or not it is kept: the line ran.
        ImageDefaults.Asked asked = drawing.defaults().ask(input, drawing.model());
        double cost = metrics.tokens(StageNames.IMAGE, image.model(), image.usage(), WorkerMetrics.BATCH);
        Optional<Outcome<ImageReady>> stored = drawing.outcomes().stored(input, Priorities.BATCH);
        if (stored.isPresent()) {
            return new Result(stored.get(), cost);
        }
        if (asked.size() == null) {
            return new Result(Outcome.failed(asked.problem()), cost);
        }
        metrics.image(image.model(), ImageModels.sizeTag(asked.size().toString()), image.usage(), null);
        long latency = Duration.between(input.getCreatedAt(), now).toMillis();
        return new Result(drawing.outcomes().keep(input, asked.size(), image, latency, Priorities.BATCH), cost);
    }

    /** An error line's failure, or that of a request without a line, by the batch's status. */
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
        String errorCode = error.path("code").isTextual() ? error.path("code").asText() : null;
        return OpenAiErrors.classifyAnswer(code, errorCode, "HTTP " + code + (errorCode == null ? "" : " " + errorCode) + ": " + message);
    }
}
