package io.travelart.core.serde;

import io.travelart.core.registry.RegistryException;
import io.travelart.core.registry.SchemaIds;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Avro events in the Confluent wire format: magic byte 0, the 4-byte big-endian schema id, then
 * Avro binary. Subjects follow TopicNameStrategy ({@code <topic>-value}). Reading resolves the
 * writer's schema (found by id) to the reader's generated class, so older compatible producers keep
 * working.
 */
public final class EventSerde {

    public static final byte MAGIC = 0;
    private static final int HEADER = 5;

    private final SchemaIds registry;
    private final boolean autoRegister;
    private final Map<Schema, SpecificDatumWriter<SpecificRecord>> writers = new ConcurrentHashMap<>();
    private final Map<ReaderKey, SpecificDatumReader<?>> readers = new ConcurrentHashMap<>();

    private record ReaderKey(int writerId, Class<?> type) {
    }

    public EventSerde(SchemaIds registry, boolean autoRegister) {
        this.registry = registry;
        this.autoRegister = autoRegister;
    }

    public static String subject(String topic) {
        return topic + "-value";
    }

    /** The schema id the given schema has (or gets, with auto-registration) under the topic's subject. */
    public int schemaId(String topic, Schema schema) {
        return autoRegister ? registry.register(subject(topic), schema) : registry.lookup(subject(topic), schema);
    }

    public byte[] serialize(String topic, SpecificRecord record) {
        Schema schema = record.getSchema();
        int id = schemaId(topic, schema);
        SpecificDatumWriter<SpecificRecord> writer = writers.computeIfAbsent(schema, SpecificDatumWriter::new);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writer.write(record, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * Reads an event written by any producer whose schema is compatible with {@code type}'s.
     *
     * @throws DecodeException when the bytes are not such an event; a registry that cannot be
     *                         reached is a {@link RegistryException} instead, since that is not the record's fault
     */
    public <T extends SpecificRecord> T deserialize(byte[] data, Class<T> type) {
        if (data == null) {
            throw new DecodeException("the record has no value");
        }
        if (data.length < HEADER || data[0] != MAGIC) {
            throw new DecodeException("not in the Confluent wire format: "
                    + (data.length < HEADER ? data.length + " bytes" : "magic byte " + data[0]));
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        Schema writerSchema;
        try {
            writerSchema = registry.schemaById(id);
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw new DecodeException("unknown schema id " + id, e);
            }
            throw e;
        }
        @SuppressWarnings("unchecked")
        SpecificDatumReader<T> reader = (SpecificDatumReader<T>) readers.computeIfAbsent(new ReaderKey(id, type),
                key -> new SpecificDatumReader<>(writerSchema, SpecificData.get().getSchema(type)));
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, HEADER, data.length - HEADER, null);
            T value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new DecodeException("schema id " + id + ": " + (data.length - HEADER) + " bytes hold more than one "
                        + writerSchema.getFullName());
            }
            return value;
        } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException | ClassCastException e) {
            throw new DecodeException("schema id " + id + " (" + writerSchema.getFullName() + "): cannot be read as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }
}
