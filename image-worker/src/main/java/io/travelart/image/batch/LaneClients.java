package io.travelart.image.batch;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EngineClients;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Map;

/**
 * The lane's Kafka clients: the pending topic's consumer (group {@code travelart-image-worker-batch}), a reader of the
 * batches topic, a reader of a batch's pending records by offset, and the transactional producer. Built from the
 * worker's Kafka settings, or Kafka's mock clients in a test.
 */
record LaneClients(Consumer<byte[], byte[]> pending, Consumer<String, byte[]> batches, Consumer<byte[], byte[]> range,
                   Producer<String, byte[]> producer) {

    static LaneClients of(KafkaConfig kafka, String instanceId) {
        String client = "image-worker-batch-" + instanceId;
        return new LaneClients(
                new KafkaConsumer<>(kafka.with(Map.of(
                        ConsumerConfig.GROUP_ID_CONFIG, BatchLane.GROUP,
                        ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId + "-batch",
                        ConsumerConfig.CLIENT_ID_CONFIG, client + "-pending",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new ByteArrayDeserializer(), new ByteArrayDeserializer()),
                reader(kafka, client + "-batches", new StringDeserializer()),
                reader(kafka, client + "-range", new ByteArrayDeserializer()),
                new KafkaProducer<>(EngineClients.producerSettings(kafka, client, transactionalId(instanceId)),
                        new StringSerializer(), new ByteArraySerializer()));
    }

    /** Under the image-worker's prefix, so that one prefixed ACL covers the stage's and the lane's transactional ids. */
    static String transactionalId(String instanceId) {
        return "travelart-image-worker-batch-" + instanceId;
    }

    private static <K> KafkaConsumer<K, byte[]> reader(KafkaConfig kafka, String clientId, Deserializer<K> keys) {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), keys, new ByteArrayDeserializer());
    }

    /** Closes them all; by the thread that used them (Kafka's clients are not for two threads at once). */
    void close() {
        // A static member stays in the group on close unless told: hand the pending partitions on now.
        pending.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(Duration.ofSeconds(2)));
        batches.close(Duration.ofSeconds(2));
        range.close(Duration.ofSeconds(2));
        producer.close(Duration.ofSeconds(2));
    }
}
