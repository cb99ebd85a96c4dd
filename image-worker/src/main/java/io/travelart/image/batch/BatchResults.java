package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Output;
import io.travelart.core.engine.OutputRecords;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.images.ImageModels;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageDefaults;
import io.travelart.image.download.BoundedDownload;
import io.travelart.image.openai.ImagesAnswer;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What each line of an ended batch's files, or a request without a line, comes to: a line's image goes through the image
 * stage's {@link io.travelart.image.ImageOutcomes} (found stored, or checked and stored: a store that fails is that
 * request's STORAGE failure), an error line through the one classification ({@link OpenAiErrors#classifyAnswer}), and
 * every outcome through the engine's {@link OutputRecords}: the same headers, trace continuation and failure events as an
 * interactive answer. {@link Answering} reads the lines; this holds no state of a batch.
 */
final class BatchResults {

    /** A request's outcome and what its line cost (every line that ran is paid, kept or not). */
    record Result(Outcome<ImageReady> outcome, double cost) {
    }

    private final BatchLane.Drawing drawing;
    private final OutputRecords outputs;
    private final WorkerMetrics metrics;

    BatchResults(BatchLane.Drawing drawing, OutputRecords outputs, WorkerMetrics metrics) {
        this.drawing = drawing;
        this.outputs = outputs;
        this.metrics = metrics;
    }

    /** A line of the output file: its image when it answered 200, else its failure. */
    Result output(JsonNode line, PromptCreated input, String status, Instant now) {
        return line.path("response").path("status_code").asInt() == 200
                ? draw(input, line.path("response").path("body"), now)
                : new Result(Outcome.failed(failure(line, status)), 0);
    }

    /** A line of the error file. */
    Result error(JsonNode line, String status) {
        return new Result(Outcome.failed(failure(line, status)), 0);
    }

    /** A request that has no line in either file. */
    Result missing(String status) {
        return new Result(Outcome.failed(failure(null, status)), 0);
    }

    /**
     * The record to publish for a request's outcome.
     *
     * @throws IllegalStateException when it cannot be serialized (the registry away): nothing of the chunk is published,
     *                               and it is answered again on a later turn
     */
    Output.Send send(ConsumerRecord<byte[], byte[]> origin, PromptCreated input, Result result, Instant submitted, Instant now) {
        return LaneTransactions.sendable(outputs.of(origin, result.outcome(),
                new OutputRecords.Request(input.getRequestId(), input.getRequest().getKeyword(), submitted), now));
    }

    /** A line's image, found stored or checked and stored, as the image stage does with an image it drew. */
    private Result draw(PromptCreated input, JsonNode body, Instant now) {
        GeneratedImage image;
        try {
            image = drawing.lines().image(ImagesAnswer.read(body.traverse(), BoundedDownload.MAX_IMAGE_BYTES));
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
