package io.travelart.core.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/** Kafka {@link Deserializer} for one event type, resolving any compatible writer schema to it. */
public final class AvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final EventSerde serde;
    private final Class<T> type;

    public AvroDeserializer(EventSerde serde, Class<T> type) {
        this.serde = serde;
        this.type = type;
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return data == null ? null : serde.deserialize(data, type);
    }
}
