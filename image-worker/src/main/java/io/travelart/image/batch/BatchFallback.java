package io.travelart.image.batch;

import io.micrometer.core.instrument.Counter;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Output;
import io.travelart.core.engine.OutputRecords;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Draws waiting batch requests in the interactive lane ({@link BatchLane.Drawing#drawNow}, the image stage's own path:
 * its retry budget, rate limit, gate and store), at full price, when the Batch API refuses the lane's model. One group
 * at a time, all in flight together within the stage's max-in-flight; the lane writes their outputs with the pending
 * offsets in one transaction.
 */
final class BatchFallback {

    /** What one group came to: the outputs to publish, and what the images cost at the interactive price. */
    record Drawn(List<Output.Send> outputs, int ready, double cost) {
    }

    private final EventSerde serde;
    private final BatchLane.Drawing drawing;
    private final OutputRecords outputs;
    private final WorkerMetrics metrics;
    private final Counter requests;

    BatchFallback(EventSerde serde, BatchLane.Drawing drawing, OutputRecords outputs, WorkerMetrics metrics) {
        this.serde = serde;
        this.drawing = drawing;
        this.outputs = outputs;
        this.metrics = metrics;
        this.requests = Counter.builder("travelart.batch.fallback")
                .description("Batch requests drawn in the interactive lane at full price because the Batch API refused the model")
                .register(metrics.registry());
    }

    /**
     * Draws every request of a group and waits for all of them. A record that is not a prompt-created is its INGEST
     * failure; a request id met again in the group is drawn once (its later records are taken with the group).
     *
     * @throws IllegalStateException when an outcome cannot be serialized: nothing is published, the group is drawn again
     *                               (its images are found stored)
     */
    Drawn draw(List<ConsumerRecord<byte[], byte[]>> group, Instant now) {
        Map<String, CompletableFuture<Outcome<ImageReady>>> calls = new LinkedHashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> origins = new LinkedHashMap<>();
        Map<String, PromptCreated> inputs = new LinkedHashMap<>();
        List<Output.Send> sends = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> record : group) {
            PromptCreated input;
            try {
                input = serde.deserialize(record.value(), PromptCreated.class);
            } catch (DecodeException e) {
                sends.add(LaneTransactions.sendable(outputs.unread(record, Failure.permanent(ErrorCodes.INGEST, e.getMessage()), now)));
                continue;
            }
            if (!calls.containsKey(input.getRequestId())) {
                origins.put(input.getRequestId(), record);
                inputs.put(input.getRequestId(), input);
                calls.put(input.getRequestId(), drawing.drawNow().apply(input));
            }
        }
        int ready = 0;
        double cost = 0;
        for (Map.Entry<String, CompletableFuture<Outcome<ImageReady>>> call : calls.entrySet()) {
            Outcome<ImageReady> outcome;
            try {
                outcome = call.getValue().join();
            } catch (CompletionException e) {
                outcome = Outcome.failed(Failure.retriable(ErrorCodes.INTERNAL, String.valueOf(e.getCause())));
            }
            PromptCreated input = inputs.get(call.getKey());
            if (outcome instanceof Outcome.Published<ImageReady> published) {
                ready++;
                ImageReady event = published.event();
                cost += metrics.prices().imageCost(event.getImageModel(), event.getImageUsage(), event.getImageComputeMs());
            }
            sends.add(LaneTransactions.sendable(outputs.of(origins.get(call.getKey()), outcome,
                    new OutputRecords.Request(call.getKey(), input.getRequest().getKeyword(), now), now)));
        }
        requests.increment(calls.size());
        return new Drawn(sends, ready, cost);
    }
}
