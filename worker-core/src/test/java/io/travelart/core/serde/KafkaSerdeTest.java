package io.travelart.core.serde;

import io.travelart.core.TestStack;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.events.KeywordRequested;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The Kafka Serializer/Deserializer pair, as a Java upstream system or subscriber would use it. */
class KafkaSerdeTest {

    @Test
    void aTypedProducerAndConsumerExchangeEventsThroughTheBroker() {
        String topic = TestStack.createTopics(1, "typed").get(0);
        EventSerde serde = new EventSerde(new SchemaRegistryClient(TestStack.registry()), true);
        KeywordRequested request = KeywordRequested.newBuilder().setRequestId("typed-1").setKeyword("Kyoto in autumn rain")
                .setRequestedAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).build();

        try (var producer = new KafkaProducer<>(TestStack.kafka().with(Map.of()), new StringSerializer(),
                new AvroSerializer<KeywordRequested>(serde))) {
            producer.send(new ProducerRecord<>(topic, request.getRequestId(), request)).get();
        } catch (Exception e) {
            throw new AssertionError(e);
        }

        try (var consumer = new KafkaConsumer<>(TestStack.kafka().with(Map.of(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")),
                new StringDeserializer(), new AvroDeserializer<>(serde, KeywordRequested.class))) {
            consumer.assign(List.of(new TopicPartition(topic, 0)));
            List<ConsumerRecord<String, KeywordRequested>> records = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return !records.isEmpty();
            });
            assertThat(records).hasSize(1);
            assertThat(records.get(0).key()).isEqualTo("typed-1");
            assertThat(records.get(0).value()).isEqualTo(request);
        }
    }
}
