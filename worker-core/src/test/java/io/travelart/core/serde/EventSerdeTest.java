package io.travelart.core.serde;

import io.travelart.core.TestStack;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.events.KeywordRequested;
import io.travelart.events.RequestFailed;
import org.apache.avro.LogicalTypes;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Confluent wire format against the real registry, including producers on other schema versions. */
class EventSerdeTest {

    private final SchemaRegistryClient registry = new SchemaRegistryClient(TestStack.registry());
    private final EventSerde serde = new EventSerde(registry, true);

    private static String topic() {
        return "serde-" + UUID.randomUUID();
    }

    private static KeywordRequested request() {
        return KeywordRequested.newBuilder()
                .setRequestId("r-1").setKeyword("겨울밤의 파리").setLocale("ko-KR").setStyle("watercolor")
                .setRequestedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS))
                .setAttributes(Map.of("campaign", "winter")).build();
    }

    @Test
    void writesTheConfluentWireFormatAndReadsItBack() {
        String topic = topic();
        KeywordRequested request = request();

        byte[] bytes = serde.serialize(topic, request);

        assertThat(bytes[0]).isEqualTo(EventSerde.MAGIC);
        int id = ByteBuffer.wrap(bytes, 1, 4).getInt();
        assertThat(registry.lookup(EventSerde.subject(topic), KeywordRequested.getClassSchema())).isEqualTo(id);
        assertThat(new EventSerde(new SchemaRegistryClient(TestStack.registry()), false).deserialize(bytes, KeywordRequested.class))
                .isEqualTo(request);
    }

    @Test
    void readsWhatAnOlderProducerWroteFillingDefaults() throws Exception {
        Schema older = essentials().endRecord();
        GenericRecord old = new GenericData.Record(older);
        old.put("requestId", "old-1");
        old.put("keyword", "Kyoto in autumn rain");
        old.put("requestedAt", 1_700_000_000_000L);

        KeywordRequested read = serde.deserialize(confluent(registry.register(topic() + "-value", older), older, old),
                KeywordRequested.class);

        assertThat(read.getRequestId()).isEqualTo("old-1");
        assertThat(read.getKeyword()).isEqualTo("Kyoto in autumn rain");
        assertThat(read.getAttributes()).isEmpty();
        assertThat(read.getStyle()).isNull();
        assertThat(read.getRequestedAt()).isEqualTo(Instant.ofEpochMilli(1_700_000_000_000L));
    }

    @Test
    void readsWhatANewerProducerWroteIgnoringFieldsItDoesNotKnow() throws Exception {
        Schema newer = essentials().name("urgency").type().intType().intDefault(0).endRecord();
        GenericRecord record = new GenericData.Record(newer);
        record.put("requestId", "new-1");
        record.put("keyword", "Santorini");
        record.put("requestedAt", 1L);
        record.put("urgency", 5);

        KeywordRequested read = serde.deserialize(confluent(registry.register(topic() + "-value", newer), newer, record),
                KeywordRequested.class);

        assertThat(read.getKeyword()).isEqualTo("Santorini");
    }

    @Test
    void badBytesAreDecodeErrorsSayingWhy() {
        byte[] valid = serde.serialize(topic(), request());
        byte[] garbageAfterHeader = java.util.Arrays.copyOf(valid, 9);

        assertThatThrownBy(() -> serde.deserialize("not avro".getBytes(), KeywordRequested.class))
                .isInstanceOf(DecodeException.class).hasMessageContaining("magic byte");
        assertThatThrownBy(() -> serde.deserialize(new byte[]{0, 0, 0x0f, 0x42, 0x3f, 2, 4}, KeywordRequested.class))
                .isInstanceOf(DecodeException.class).hasMessageContaining("unknown schema id 999999");
        assertThatThrownBy(() -> serde.deserialize(garbageAfterHeader, KeywordRequested.class))
                .isInstanceOf(DecodeException.class).hasMessageContaining("cannot be read as KeywordRequested");
        assertThatThrownBy(() -> serde.deserialize(valid, RequestFailed.class))
                .isInstanceOf(DecodeException.class);
        assertThatThrownBy(() -> serde.deserialize(null, KeywordRequested.class))
                .isInstanceOf(DecodeException.class).hasMessageContaining("no value");
    }

    @Test
    void withoutAutoRegistrationAnUnregisteredSchemaIsRefused() {
        EventSerde locked = new EventSerde(registry, false);
        String topic = topic();
        assertThatThrownBy(() -> locked.serialize(topic, request()))
                .isInstanceOfSatisfying(io.travelart.core.registry.RegistryException.class, e -> assertThat(e.isNotFound()).isTrue());
        registry.register(EventSerde.subject(topic), KeywordRequested.getClassSchema());
        assertThat(locked.serialize(topic, request())).isNotEmpty();
    }

    /** KeywordRequested with only its required fields, as another producer's schema might have it. */
    private static SchemaBuilder.FieldAssembler<Schema> essentials() {
        return SchemaBuilder.record("KeywordRequested").namespace("io.travelart.events").fields()
                .requiredString("requestId")
                .requiredString("keyword")
                .name("requestedAt").type(LogicalTypes.timestampMillis().addToSchema(Schema.create(Schema.Type.LONG))).noDefault();
    }

    private static byte[] confluent(int id, Schema schema, GenericRecord record) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0);
        out.write(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

}
