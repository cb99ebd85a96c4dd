package io.travelart.core.engine;

import io.travelart.core.serde.EventSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.util.concurrent.CompletableFuture;

/**
 * One step of the pipeline: turns an input event into an output event or a failure. Implementations
 * run their slow work on their own executors and complete the future; the engine does the Kafka side.
 */
public interface Stage<I extends SpecificRecord, O extends SpecificRecord> {

    /** Stage name as it appears in {@code RequestFailed.stage}: PROMPT or IMAGE. */
    String name();

    Class<I> inputType();

    /**
     * Reads a record as this stage's input: as {@link #inputType()}, unless the stage reads several topics of several
     * event types and picks by the record's topic.
     *
     * @throws io.travelart.core.serde.DecodeException when the record is not such an input
     */
    default I decode(EventSerde serde, ConsumerRecord<byte[], byte[]> record) {
        return serde.deserialize(record.value(), inputType());
    }

    String requestId(I input);

    String keyword(I input);

    CompletableFuture<Outcome<O>> process(I input);
}
