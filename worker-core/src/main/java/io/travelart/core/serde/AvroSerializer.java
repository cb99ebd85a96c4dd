package io.travelart.core.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serializer;

/** Kafka {@link Serializer} for our events, in the Confluent wire format (subject {@code <topic>-value}). */
public final class AvroSerializer<T extends SpecificRecord> implements Serializer<T> {
    private final EventSerde serde;

    public AvroSerializer(EventSerde serde) {
        this.serde = serde;
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : serde.serialize(topic, data);
    }
}
