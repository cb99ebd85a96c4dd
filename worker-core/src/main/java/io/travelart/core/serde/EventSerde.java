package io.travelart.core.serde;

import io.travelart.core.config.WorkerConfig;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.registry.SchemaIds;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
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
 *
 * <p>Reading is bounded: a record over {@code maxRecordBytes} is refused before it is decoded, and no
 * length or count a record declares can make the decoder allocate more than its bytes can hold
 * ({@link BoundedDecoder}).
 */
public final class EventSerde {

    public static final byte MAGIC = 0;
    private static final int HEADER = 5;

    private final SchemaIds registry;
    private final boolean autoRegister;
    private final int maxRecordBytes;
    private final Map<Schema, SpecificDatumWriter<SpecificRecord>> writers = new ConcurrentHashMap<>();
    private final Map<ReaderKey, SpecificDatumReader<?>> readers = new ConcurrentHashMap<>();

    private record ReaderKey(int writerId, Class<?> type) {
    }

    public EventSerde(SchemaIds registry, boolean autoRegister) {
        this(registry, autoRegister, WorkerConfig.DEFAULT_MAX_RECORD_BYTES);
    }

    /** @param maxRecordBytes the largest record value {@link #deserialize} reads ({@code TRAVELART_MAX_RECORD_BYTES}) */
    public EventSerde(SchemaIds registry, boolean autoRegister, int maxRecordBytes) {
        this.registry = registry;
        this.autoRegister = autoRegister;
        this.maxRecordBytes = maxRecordBytes;
    }

    public int maxRecordBytes() {
        return maxRecordBytes;
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
        if (data.length > maxRecordBytes) {
            throw new DecodeException("the record has " + data.length + " bytes, more than the limit of " + maxRecordBytes
                    + " (TRAVELART_MAX_RECORD_BYTES)");
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
        BoundedDecoder decoder = new BoundedDecoder(data, HEADER, data.length - HEADER);
        T value;
        try {
            value = reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            // Whatever the bytes make Avro throw (a bad union index, an unknown enum symbol, a cast) is the record's fault.
            throw new DecodeException("schema id " + id + " (" + writerSchema.getFullName() + "): cannot be read as "
                    + type.getSimpleName() + ": " + e.getMessage(), e);
        }
        if (!decoder.isEnd()) {
            throw new DecodeException("schema id " + id + ": " + (data.length - HEADER) + " bytes hold more than one "
                    + writerSchema.getFullName() + " (" + decoder.remaining() + " left over)");
        }
        return value;
    }
}
