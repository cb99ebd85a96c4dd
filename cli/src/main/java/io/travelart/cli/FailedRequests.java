package io.travelart.cli;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The committed request-failed events, read from the beginning to the end the topic has now. */
final class FailedRequests {

    /** What an operator narrows the list by; a null field does not filter. */
    record Filter(String stage, String code, Instant since, Instant until, String requestId) {
        boolean matches(RequestFailed f) {
            return (stage == null || stage.equalsIgnoreCase(f.getStage()))
                    && (code == null || code.equalsIgnoreCase(f.getErrorCode()))
                    && (since == null || !f.getLastFailureAt().isBefore(since))
                    && (until == null || !f.getLastFailureAt().isAfter(until))
                    && (requestId == null || requestId.equals(f.getRequestId()));
        }
    }

    private FailedRequests() {
    }

    static List<RequestFailed> read(KafkaConfig kafka, EventSerde serde, String topic, Filter filter, Consumer<String> undecodable) {
        List<RequestFailed> found = new ArrayList<>();
        try (var consumer = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    try {
                        RequestFailed failed = serde.deserialize(record.value(), RequestFailed.class);
                        if (filter.matches(failed)) {
                            found.add(failed);
                        }
                    } catch (DecodeException e) {
                        undecodable.accept(record.topic() + "-" + record.partition() + "@" + record.offset() + ": " + e.getMessage());
                    }
                }
            }
        }
        return found;
    }
}
