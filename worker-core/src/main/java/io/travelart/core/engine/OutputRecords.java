package io.travelart.core.engine;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestBounds;
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
 * outside is the serializer's schema id, which the registry gives once per schema. The engine and the
 * image-worker's batch lane publish through it, so that an answer has one shape whichever loop made it.
 */
public final class OutputRecords {

    /** What is known of the request an input record carries; all null for an undecodable record. */
    public record Request(String requestId, String keyword, Instant startedAt) {
    }

    private final String stageName;
    private final String outputTopic;
    private final String failedTopic;
    private final EventSerde serde;
    private final String source;
    private final EventHeaders.Template failedHeaders;
    private final Map<String, EventHeaders.Template> outputHeaders = new ConcurrentHashMap<>();

    public OutputRecords(String stageName, String outputTopic, String failedTopic, EventSerde serde) {
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
    public <O extends SpecificRecord> Output of(ConsumerRecord<byte[], byte[]> input, Outcome<O> outcome, Request request, Instant now) {
        try {
            return switch (outcome) {
                case Outcome.Published<O>(O event) -> published(input, outputTopic, event, request, now);
                case Outcome.Failed<O>(Failure failure) -> failed(input, stageName, failure, request, now);
                case Outcome.Forwarded<O>(String topic, SpecificRecord event) -> published(input, topic, event, request, now);
                case Outcome.Passed<O> passed -> new Output.Send(null, null);
            };
        } catch (RuntimeException e) {
            // Serializing needs the registry only for a schema id not yet cached; keep the request anyway.
            return failedOrUnpublishable(input, stageName,
                    Failure.retriable(ErrorCodes.INTERNAL, "cannot serialize the result: " + e), request, now);
        }
    }

    /** The failure of a record this stage could not even start on, at stage INGEST; it keeps the key it came with. */
    public Output unread(ConsumerRecord<byte[], byte[]> input, Failure failure, Instant now) {
        return failedOrUnpublishable(input, StageNames.INGEST, failure, new Request(null, null, now), now);
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
        var record = new ProducerRecord<>(topic, null, request.requestId(), serde.serialize(topic, event),
                headers.forOutput(input.headers(), request.requestId(), now));
        int size = size(record);
        if (size > serde.maxRecordBytes()) {
            // The producer would refuse it and abort the transaction, again at every rewind: this record fails instead.
            return failed(input, stageName, Failure.permanent(ErrorCodes.INVALID_INPUT, "its " + type + " would be " + size
                    + " bytes, more than the limit of " + serde.maxRecordBytes() + " (TRAVELART_MAX_RECORD_BYTES)"), request, now);
        }
        return new Output.Send(record, null);
    }

    private Output failed(ConsumerRecord<byte[], byte[]> input, String stage, Failure failure, Request request, Instant now) {
        Instant first = failure.firstFailureAt() != null ? failure.firstFailureAt() : request.startedAt();
        RequestFailed event = FailureEvents.of(input, stage, failure, request.requestId(), request.keyword(), first, now);
        // A record without a request id (undecodable, or not an id) keeps the key it came with, cut to a key's length.
        String key = event.getRequestId() != null ? event.getRequestId()
                : FailureEvents.cut(rawKey(input), RequestBounds.REQUEST_ID_MAX);
        return new Output.Send(new ProducerRecord<>(failedTopic, null, key, serde.serialize(failedTopic, event),
                failedHeaders.forOutput(input.headers(), key, now)), failure.code());
    }

    /** What the record weighs against the producer's {@code max.request.size}, with room for the batch's own header. */
    private static int size(ProducerRecord<String, byte[]> record) {
        long size = 512L + record.value().length + (record.key() == null ? 0 : 4L * record.key().length());
        for (var header : record.headers()) {
            size += header.key().length() + (header.value() == null ? 0 : header.value().length);
        }
        return (int) Math.min(Integer.MAX_VALUE, size);
    }

    static String rawKey(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }
}
