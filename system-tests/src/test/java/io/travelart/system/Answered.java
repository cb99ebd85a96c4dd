package io.travelart.system;

import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.local.LocalPipeline;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.worker.Worker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.List;
import java.util.Map;


/**
 * Waits until a worker has answered every record of its input topic: its group's committed offset on each partition is
 * past every committed record (what lies beyond is transaction markers only). A stage publishes a record's outputs in
 * the transaction that commits its offset, so from then on nothing more can come of those records: reading the output
 * topics to their end is an exact count, where waiting a while to see whether a duplicate shows up is not.
 */
final class Answered {

    private Answered() {
    }

    /** The batch lane's consumer group, on the pending topic. */
    static final String BATCH_LANE_GROUP = "travelart-image-worker-batch";
    static final String BATCH_PENDING_TOPIC = "image-batch-pending";

    /** Until the worker ({@code prompt-worker}, {@code image-worker}) has answered every record of {@code topic}. */
    static void await(KafkaConfig kafka, String worker, String topic, Duration atMost) {
        awaitGroup(kafka, Worker.groupId(worker), topic, atMost);
    }

    /** Until the consumer group has answered every record of {@code topic}. */
    static void awaitGroup(KafkaConfig kafka, String group, String topic, Duration atMost) {
        Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(100)).pollInSameThread()
                .until(() -> everyRecordAnswered(kafka, group, topic));
    }

    private static boolean everyRecordAnswered(KafkaConfig kafka, String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed;
        try (Admin admin = Admin.create(kafka.with(Map.of()))) {
            committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        }
        try (var consumer = new KafkaConsumer<>(kafka.with(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata offset = committed.get(tp);
                consumer.seek(tp, offset == null ? 0 : offset.offset());
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                // A committed record beyond the group's committed offset is one the stage has not answered for good yet.
                if (!consumer.poll(Duration.ofMillis(100)).isEmpty()) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Once the image stage (and the batch lane, with {@code lane}) have answered everything: each request's image-ready
     * and request-failed events as the topics hold them, counted, which is what a watcher must have seen of them by then.
     */
    static Map<String, Integer> finalCounts(LocalPipeline pipeline, boolean lane, Duration atMost) {
        await(pipeline.kafka(), "image-worker", pipeline.topics().promptCreated(), atMost);
        if (lane) {
            awaitGroup(pipeline.kafka(), BATCH_LANE_GROUP, BATCH_PENDING_TOPIC, atMost);
        }
        Map<String, Integer> counts = new java.util.HashMap<>(CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().imageReady()));
        CommittedRecords.keyCounts(pipeline.kafka(), pipeline.topics().requestFailed()).forEach((id, n) -> counts.merge(id, n, Integer::sum));
        return counts;
    }
}
