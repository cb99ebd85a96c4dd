package io.travelart.core.engine;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestFailed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns what a stage made of an input record into the one record to publish: its output on the output
 * topic, or a {@code RequestFailed} carrying the input's bytes on the failed topic. The only input from
 * outside is the serializer's schema id, which the registry gives once per schema.
 */
final class OutputRecords {

    /** What is known of the request an input record carries; all null for an undecodable record. */
    record Request(String requestId, String keyword, Instant startedAt) {
    }

    private final String stageName;
    private final String outputTopic;
    private final String failedTopic;
    private final EventSerde serde;
    private final String source;
    private final EventHeaders.Template failedHeaders;
    private final Map<String, EventHeaders.Template> outputHeaders = new ConcurrentHashMap<>();

    OutputRecords(String stageName, String outputTopic, String failedTopic, EventSerde serde) {
        this.stageName = stageName;
        this.outputTopic = outputTopic;
        this.failedTopic = failedTopic;
        this.serde = serde;
        // The CloudEvents source of what this stage publishes.
        this.source = "/travelart/" + stageName.toLowerCase(Locale.ROOT);
        this.failedHeaders = new EventHeaders.Template(RequestFailed.getClassSchema().getFullName(), source);
    }

    /**
     * The record for a stage's outcome; a result that cannot be serialized becomes an INTERNAL failure. Never
     * throws: a completion that never reached the loop would stall the partition for good.
     */
    <O extends SpecificRecord> Output of(ConsumerRecord<byte[], byte[]> input, Outcome<O> outcome, Request request, Instant now) {
        try {
            return outcome.fold(event -> published(input, outputTopic, event, request, now),
                    failure -> failed(input, stageName, failure, request, now),
                    forwarded -> published(input, forwarded.topic(), forwarded.event(), request, now));
        } catch (RuntimeException e) {
            // Serializing needs the registry only for a schema id not yet cached; keep the request anyway.
            return failedOrUnpublishable(input, stageName,
                    Failure.retriable(ErrorCodes.INTERNAL, "cannot serialize the result: " + e), request, now);
        }
    }

    /** The INGEST failure of a record that could not be decoded; it keeps the key it came with. */
    Output undecodable(ConsumerRecord<byte[], byte[]> input, String reason, Instant now) {
        return failedOrUnpublishable(input, StageNames.INGEST, Failure.permanent(ErrorCodes.INGEST, reason),
                new Request(null, null, now), now);
    }

    private Output failedOrUnpublishable(ConsumerRecord<byte[], byte[]> input, String stage, Failure failure, Request request,
                                         Instant now) {
        try {
            return failed(input, stage, failure, request, now);
        } catch (RuntimeException e) {
            return new Output.Unpublishable("neither the result nor its failure event can be serialized: " + e);
        }
    }

    private Output published(ConsumerRecord<byte[], byte[]> input, String topic, SpecificRecord event, Request request, Instant now) {
        String type = event.getSchema().getFullName();
        var headers = outputHeaders.computeIfAbsent(type, t -> new EventHeaders.Template(t, source));
        return new Output.Send(new ProducerRecord<>(topic, null, request.requestId(), serde.serialize(topic, event),
                headers.forOutput(input.headers(), request.requestId(), now)), null);
    }

    private Output failed(ConsumerRecord<byte[], byte[]> input, String stage, Failure failure, Request request, Instant now) {
        Instant first = failure.firstFailureAt() != null ? failure.firstFailureAt() : request.startedAt();
        RequestFailed event = FailureEvents.of(input, stage, failure, request.requestId(), request.keyword(), first, now);
        // An undecodable record has no request id: its failure keeps the key it came with.
        String key = request.requestId() != null ? request.requestId() : rawKey(input);
        return new Output.Send(new ProducerRecord<>(failedTopic, null, key, serde.serialize(failedTopic, event),
                failedHeaders.forOutput(input.headers(), key, now)), failure.code());
    }

    static String rawKey(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }
}
