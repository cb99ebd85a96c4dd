package io.travelart.core.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.travelart.core.config.KafkaConfig;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;

/**
 * The Kafka clients of one engine: a {@code read_committed} consumer in the stage's group and a
 * transactional producer, with their settings in one place (our defaults, then what the operator set
 * with {@code KAFKA_*}, then what exactly-once requires), and their metrics bound to the registry.
 *
 * @param transactionalId stable per worker instance: a restarted instance aborts what its crashed
 *                        predecessor left open at once, instead of readers waiting for the timeout
 */
public record EngineClients(Consumer<byte[], byte[]> consumer, Producer<String, byte[]> producer, String transactionalId,
                            AutoCloseable metrics) {

    /** Who the clients are: the group, a client id for the logs, and the instance's transactional id. */
    public record Identity(String groupId, String clientId, String transactionalId) {
    }

    /** Clients made elsewhere (the mock clients of tests). */
    public static EngineClients of(Consumer<byte[], byte[]> consumer, Producer<String, byte[]> producer, String transactionalId) {
        return new EngineClients(consumer, producer, transactionalId, () -> { });
    }

    public static EngineClients connect(KafkaConfig kafka, Identity identity, MeterRegistry registry) {
        var consumer = new KafkaConsumer<>(settings(kafka, Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500"), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, identity.groupId(),
                // Static membership: an instance restarted under its id (after a crash, or a pod rescheduled) takes its
                // partitions back at once, instead of waiting out the dead member's session. The id is the instance's
                // transactional id, which is unique per instance already.
                ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, identity.transactionalId(),
                ConsumerConfig.CLIENT_ID_CONFIG, identity.clientId() + "-consumer",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        var producer = new KafkaProducer<>(producerSettings(kafka, identity.clientId(), identity.transactionalId()),
                new StringSerializer(), new ByteArraySerializer());
        // Kafka's own client metrics, records-lag per partition among them (kafka.consumer.fetch.manager.records.lag).
        var consumerMetrics = new KafkaClientMetrics(consumer);
        consumerMetrics.bindTo(registry);
        var producerMetrics = new KafkaClientMetrics(producer);
        producerMetrics.bindTo(registry);
        return new EngineClients(consumer, producer, identity.transactionalId(), () -> {
            consumerMetrics.close();
            producerMetrics.close();
        });
    }

    /**
     * Closes both. A static member stays in the group on close unless told: a stopping instance that has
     * worked ({@code leaveGroup}) hands its partitions on now.
     */
    public void close(Duration timeout, boolean leaveGroup) {
        try {
            metrics.close();
        } catch (Exception e) {
            // Meters only: closing the clients matters more.
        }
        if (leaveGroup) {
            consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(timeout));
        } else {
            consumer.close(CloseOptions.timeout(timeout));
        }
        producer.close(timeout);
    }

    /** The transactional producer's settings, for the engine and for anything measured against it. */
    public static Properties producerSettings(KafkaConfig kafka, String clientId, String transactionalId) {
        // Short transaction timeout: a crashed instance's open transaction must not block readers for long.
        // Short, capped retry backoff: the first send of a transaction is refused (CONCURRENT_TRANSACTIONS) until
        // the previous one's markers are written, and the default 100 ms growing to 1 s would cap commits at a
        // few per second. One request in flight per connection: with five, the batches behind a refused first
        // one are refused too (out of order) and all are sent again.
        // Batches of 256 KB, not 16 KB: a commit waits until every record of its transaction is written, and
        // with one request in flight a transaction of 700 records took 17 requests in a row (sleep bench: 0.23-0.31
        // of the bound with 16 KB, 0.39-0.41 with 256 KB).
        // (Measured with travelart bench --processor noop|sleep; see docs/performance.md.)
        Map<String, Object> defaults = Map.of(
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000",
                ProducerConfig.LINGER_MS_CONFIG, "2",
                ProducerConfig.BATCH_SIZE_CONFIG, "262144",
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "2",
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1",
                ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "20");
        return settings(kafka, defaults, Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, clientId + "-producer",
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true"));
    }

    /** Our defaults, then what the operator set ({@code KAFKA_*}), then what correctness requires. */
    private static Properties settings(KafkaConfig kafka, Map<String, Object> defaults, Map<String, Object> required) {
        Properties props = new Properties();
        props.putAll(defaults);
        props.putAll(kafka.with(required));
        return props;
    }
}
