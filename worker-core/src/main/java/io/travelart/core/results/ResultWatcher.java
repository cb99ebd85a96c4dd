package io.travelart.core.results;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads the pipeline's final events (image-ready and request-failed) as a subscriber would:
 * committed records only. It assigns itself every partition instead of joining a consumer group, so
 * it never moves anyone's offsets and its starting point is fixed when it is constructed.
 */
public final class ResultWatcher implements AutoCloseable {

    private final KafkaConsumer<String, byte[]> consumer;
    private final EventSerde serde;
    private final Topics topics;
    private final Consumer<String> undecodable;

    /**
     * @param fromBeginning read what is already there too, else only what comes after construction
     * @param undecodable   told about records that are not our events, which are skipped
     */
    public ResultWatcher(KafkaConfig kafka, EventSerde serde, Topics topics, boolean fromBeginning, Consumer<String> undecodable) {
        this.serde = serde;
        this.topics = topics;
        this.undecodable = undecodable;
        this.consumer = committedReader(kafka);
        try {
            List<TopicPartition> partitions = partitions(consumer, topics.imageReady(), topics.requestFailed());
            consumer.assign(partitions);
            if (fromBeginning) {
                consumer.seekToBeginning(partitions);
            } else {
                consumer.seekToEnd(partitions);
            }
            // Seeks are lazy; resolving the positions now makes "from now on" mean now.
            partitions.forEach(consumer::position);
        } catch (RuntimeException e) {
            // Refused (no ACL, no certificate) or unreachable: the consumer goes with the error, not left open.
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** A reader of committed records only that moves nobody's offsets: no auto-commit, and (with no group) none at all. */
    public static KafkaConsumer<String, byte[]> committedReader(KafkaConfig kafka) {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** Every partition of the topics, as the broker names them now. */
    public static List<TopicPartition> partitions(KafkaConsumer<?, ?> consumer, String... topics) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(15)).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        return partitions;
    }

    public List<RequestResult> poll(Duration timeout) {
        List<RequestResult> results = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> record : consumer.poll(timeout)) {
            try {
                results.add(decode(serde, topics, record));
            } catch (DecodeException e) {
                undecodable.accept(where(record) + ": " + e.getMessage());
            }
        }
        return results;
    }

    /** A record of image-ready or request-failed as the result it is. */
    public static RequestResult decode(EventSerde serde, Topics topics, ConsumerRecord<?, byte[]> record) {
        return record.topic().equals(topics.imageReady())
                ? new RequestResult.Ready(serde.deserialize(record.value(), ImageReady.class))
                : new RequestResult.Failed(serde.deserialize(record.value(), RequestFailed.class));
    }

    /** Where a record is, as the lines about one that is not our event say it: topic-partition@offset. */
    public static String where(ConsumerRecord<?, ?> record) {
        return record.topic() + "-" + record.partition() + "@" + record.offset();
    }

    /** Makes a {@link #poll} in progress, or the next one, throw {@code WakeupException}; safe from any thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(2));
    }
}
