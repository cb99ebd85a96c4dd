package io.travelart.core.engine;

import io.travelart.core.EchoStage;
import io.travelart.core.TestStack;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The engine on the real broker and registry, with a stage that answers in random order. */
class StageEngineTest {

    private final EventSerde serde = new EventSerde(new SchemaRegistryClient(TestStack.registry()), true);

    @Test
    void everyRecordEndsAsOneEventInInputOrderAndBadBytesBecomeIngestFailures() throws Exception {
        List<String> topics = TestStack.createTopics(1, "in", "out", "failed");
        String in = topics.get(0), out = topics.get(1), failed = topics.get(2);

        List<String> expectedOrder = new ArrayList<>();
        try (var producer = new KafkaProducer<>(TestStack.kafka().with(Map.of()), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 40; i++) {
                String id = "req-" + i;
                String keyword = i % 10 == 3 ? "fail " + i : "city " + i;
                KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword(keyword)
                        .setRequestedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(in, id, serde.serialize(in, request))).get();
                if (!keyword.startsWith("fail")) {
                    expectedOrder.add(id);
                }
                if (i == 20) {
                    var poison = new ProducerRecord<String, byte[]>(in, null, "poison-key", "not avro at all".getBytes(StandardCharsets.UTF_8),
                            List.of(new RecordHeader("origin", "test".getBytes(StandardCharsets.UTF_8))));
                    producer.send(poison).get();
                }
            }
        }

        var config = new StageEngine.Config(in, out, failed, "engine-test-" + in, "engine-test", 8);
        StageEngine<KeywordRequested, PromptCreated> engine = new StageEngine<>(new EchoStage(), config, TestStack.kafka(),
                serde, Clock.systemUTC());
        Thread thread = new Thread(engine);
        thread.start();
        try {
            List<ConsumerRecord<String, byte[]>> outputs = readCommitted(out, 36);
            List<ConsumerRecord<String, byte[]>> failures = readCommitted(failed, 5);

            assertThat(outputs).extracting(ConsumerRecord::key).containsExactlyElementsOf(expectedOrder);
            assertThat(outputs).allSatisfy(r -> assertThat(serde.deserialize(r.value(), PromptCreated.class).getPrompt())
                    .startsWith("prompt for city"));

            List<RequestFailed> failedEvents = failures.stream().map(r -> serde.deserialize(r.value(), RequestFailed.class)).toList();
            assertThat(failedEvents).filteredOn(f -> f.getStage().equals(StageNames.PROMPT))
                    .extracting(RequestFailed::getRequestId).containsExactly("req-3", "req-13", "req-23", "req-33");
            RequestFailed poison = failedEvents.stream().filter(f -> f.getStage().equals(StageNames.INGEST)).findFirst().orElseThrow();
            assertThat(poison.getErrorCode()).isEqualTo(ErrorCodes.INGEST);
            assertThat(poison.getRequestId()).isNull();
            assertThat(StandardCharsets.UTF_8.decode(poison.getOriginalValue()).toString()).isEqualTo("not avro at all");
            assertThat(StandardCharsets.UTF_8.decode(poison.getOriginalKey()).toString()).isEqualTo("poison-key");
            assertThat(poison.getOriginalHeaders()).hasSize(1);
            assertThat(poison.getOriginalHeaders().get(0).getKey()).isEqualTo("origin");
            assertThat(poison.getOriginTopic()).isEqualTo(in);
            assertThat(poison.getOriginOffset()).isEqualTo(21);
            assertThat(failures.stream().filter(r -> r.key().equals("poison-key")).count()).isEqualTo(1);
        } finally {
            engine.close();
            thread.join(10_000);
        }
    }

    private static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected) {
        try (var consumer = new KafkaConsumer<>(TestStack.kafka().with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")), new StringDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new org.apache.kafka.common.TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            // One more poll: anything beyond the expected count would be a duplicate.
            consumer.poll(Duration.ofMillis(500)).forEach(records::add);
            assertThat(records).as("records in %s", topic).hasSize(expected);
            return records;
        }
    }
}
