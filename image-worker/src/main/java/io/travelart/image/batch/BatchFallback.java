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
import org.apache.kafka.common.TopicPartition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Draws waiting batch requests in the interactive lane ({@link BatchLane.Drawing#drawNow}, the image stage's own path:
 * its retry budget, rate limit, gate, memory bound and store), at full price, when the Batch API refuses the lane's
 * model. One group per pending partition at a time, its calls all started at once (the stage's max-in-flight bounds
 * them); the lane's thread does not wait for them: a later turn finds the group done and writes its outputs with its
 * pending offsets in one transaction, so the lane goes on polling meanwhile.
 */
final class BatchFallback {

    /** A group whose calls have all ended: the outputs to publish, up to which pending offset, and what they cost. */
    record Drawn(List<Output.Send> outputs, long lastOffset, int requests, int ready, double cost) {
    }

    /** A group being drawn: its records, and the call of each distinct request id. */
    private record Group(List<ConsumerRecord<byte[], byte[]>> records, Map<String, CompletableFuture<Outcome<ImageReady>>> calls,
                         Map<String, ConsumerRecord<byte[], byte[]>> origins, Map<String, PromptCreated> inputs,
                         Map<ConsumerRecord<byte[], byte[]>, String> undecodable) {
        boolean done() {
            return calls.values().stream().allMatch(CompletableFuture::isDone);
        }
    }

    private final EventSerde serde;
    private final BatchLane.Drawing drawing;
    private final OutputRecords outputs;
    private final WorkerMetrics metrics;
    private final Counter requests;
    private final Map<TopicPartition, Group> running = new HashMap<>();

    BatchFallback(EventSerde serde, BatchLane.Drawing drawing, OutputRecords outputs, WorkerMetrics metrics) {
        this.serde = serde;
        this.drawing = drawing;
        this.outputs = outputs;
        this.metrics = metrics;
        this.requests = Counter.builder("travelart.batch.fallback")
                .description("Batch requests drawn in the interactive lane at full price because the Batch API refused the model")
                .register(metrics.registry());
    }

    boolean drawing(TopicPartition tp) {
        return running.containsKey(tp);
    }

    /**
     * Starts drawing a partition's group: a record that is not a prompt-created will be its INGEST failure; a request id
     * met again in the group is drawn once (its later records are taken with the group).
     */
    void start(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> group) {
        Map<String, CompletableFuture<Outcome<ImageReady>>> calls = new LinkedHashMap<>();
        Map<String, ConsumerRecord<byte[], byte[]>> origins = new LinkedHashMap<>();
        Map<String, PromptCreated> inputs = new LinkedHashMap<>();
        Map<ConsumerRecord<byte[], byte[]>, String> undecodable = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : group) {
            PromptCreated input;
            try {
                input = serde.deserialize(record.value(), PromptCreated.class);
            } catch (DecodeException e) {
                undecodable.put(record, e.getMessage());
                continue;
            }
            if (!calls.containsKey(input.getRequestId())) {
                origins.put(input.getRequestId(), record);
                inputs.put(input.getRequestId(), input);
                calls.put(input.getRequestId(), drawing.cancels().of(input.getRequestId())
                        .map(cancel -> CompletableFuture.completedFuture(
                                Outcome.<ImageReady>failed(cancel.failure())))
                        .orElseGet(() -> drawing.drawNow().apply(input)));
            }
        }
        running.put(tp, new Group(List.copyOf(group), calls, origins, inputs, undecodable));
    }

    /**
     * The partition's group, once all its calls have ended; empty while some still run. The group is forgotten then:
     * if its transaction fails the lane starts it again (its images, stored, are then found, not bought again).
     *
     * @throws IllegalStateException when an outcome cannot be serialized: nothing is published, the group is drawn again
     */
    Optional<Drawn> finished(TopicPartition tp, Instant now) {
        Group group = running.get(tp);
        if (group == null || !group.done()) {
            return Optional.empty();
        }
        running.remove(tp);
        List<Output.Send> sends = new ArrayList<>();
        group.undecodable().forEach((record, reason) ->
                sends.add(LaneTransactions.sendable(outputs.unread(record, Failure.permanent(ErrorCodes.INGEST, reason), now))));
        int ready = 0;
        double cost = 0;
        for (Map.Entry<String, CompletableFuture<Outcome<ImageReady>>> call : group.calls().entrySet()) {
            Outcome<ImageReady> outcome;
            try {
                outcome = call.getValue().join();
            } catch (CompletionException e) {
                outcome = Outcome.failed(Failure.retriable(ErrorCodes.INTERNAL, String.valueOf(e.getCause())));
            }
            if (outcome instanceof Outcome.Published<ImageReady> published) {
                ready++;
                ImageReady event = published.event();
                cost += metrics.prices().imageCost(event.getImageModel(), event.getImageUsage(), event.getImageComputeMs());
            }
            PromptCreated input = group.inputs().get(call.getKey());
            sends.add(LaneTransactions.sendable(outputs.of(group.origins().get(call.getKey()), outcome,
                    new OutputRecords.Request(call.getKey(), input.getRequest().getKeyword(), now), now)));
        }
        requests.increment(group.calls().size());
        long last = group.records().get(group.records().size() - 1).offset();
        return Optional.of(new Drawn(sends, last, group.records().size(), ready, cost));
    }

    /** Partitions no longer the lane's: their groups' outputs are not written here (the calls end; their images stay stored). */
    void revoke(Collection<TopicPartition> partitions) {
        partitions.forEach(running::remove);
    }
}
