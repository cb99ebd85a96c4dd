package io.travelart.cli.records;

import io.travelart.core.config.KafkaConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** A topic's committed records, from the beginning (or a time) to the end it has when the read starts; no group, nothing committed. */
public final class CommittedRecords {

    private CommittedRecords() {
    }

    public static void read(KafkaConfig kafka, String topic, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        read(kafka, topic, null, each);
    }

    /** How many committed records each key has (records without a key are not counted). */
    public static Map<String, Integer> keyCounts(KafkaConfig kafka, String topic) {
        Map<String, Integer> counts = new HashMap<>();
        read(kafka, topic, record -> {
            if (record.key() != null) {
                counts.merge(new String(record.key(), StandardCharsets.UTF_8), 1, Integer::sum);
            }
        });
        return counts;
    }

    /** From the first record written at or after {@code from} (null: from the beginning). */
    public static void read(KafkaConfig kafka, String topic, Instant from, Consumer<ConsumerRecord<byte[], byte[]>> each) {
        try (var consumer = consumer(kafka)) {
            read(consumer, consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList(), from, each);
        }
    }

    /** A consumer of committed records that commits nothing, for {@link #read(KafkaConsumer, List, Instant, Consumer)}. */
    public static KafkaConsumer<byte[], byte[]> consumer(KafkaConfig kafka) {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Reads these partitions with the consumer (assigned to them from now on) from the first record written at or after
     * {@code from} (null: from the beginning) to the end each has when the read starts.
     */
    public static void read(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> partitions, Instant from,
                            Consumer<ConsumerRecord<byte[], byte[]>> each) {
        if (partitions.isEmpty()) {
            return;
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        if (from != null) {
            Map<TopicPartition, Long> at = new HashMap<>();
            partitions.forEach(tp -> at.put(tp, from.toEpochMilli()));
            consumer.offsetsForTimes(at).forEach((tp, found) -> {
                if (found == null) {
                    consumer.seekToEnd(List.of(tp));
                } else {
                    consumer.seek(tp, found.offset());
                }
            });
        }
        // With read_committed the end offsets are the last stable offsets: open transactions are not waited for.
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                if (record.offset() < end.get(new TopicPartition(record.topic(), record.partition()))) {
                    each.accept(record);
                }
            }
        }
    }
}
