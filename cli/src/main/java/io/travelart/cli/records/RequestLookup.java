package io.travelart.cli.records;

import io.travelart.api.RequestIds;
import io.travelart.api.Statuses;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.metrics.PriceTable;
import io.travelart.core.results.RequestStatus;
import io.travelart.core.serde.EventSerde;
import io.travelart.image.batch.BatchRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds one request's events and folds them into its {@link RequestStatus}, without an index and without reading any
 * topic from its start. Every event a worker writes is keyed by the request id through Kafka's default partitioner, so
 * of prompt-created, image-ready, request-failed, request-cancelled and the batch lane's pending topic only the partition the id hashes to
 * is read ({@code murmur2(key) % partitions}, as the producer chose it); keyword-requested is written by upstream
 * systems, whose clients may partition otherwise (librdkafka hashes with CRC32), so all of its partitions are read.
 * Each from the first record written at or after {@code since}, to the end the partition has when the lookup starts;
 * committed records only. A pending record's partition and offset place it in a batch: the batch lane's records on
 * image-batches name the range of pending offsets each batch holds.
 */
public final class RequestLookup {

    /** The topics a request's events may be in. */
    public record Sources(Topics topics, String pendingTopic, String batchesTopic) {
    }

    private RequestLookup() {
    }

    /** One event of the request, with where and when it was written. */
    private record Found(String topic, int partition, long offset, long timestamp, byte[] value) {
    }

    /** Before a UUIDv7 id's time: the clocks of whoever made the id and of the brokers may differ by this much. */
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    /**
     * Where a lookup starts when not told: for an id Travelart made (a UUIDv7, which holds its time) a few minutes before
     * that time, else 7 days back.
     */
    public static Instant defaultSince(String requestId, Instant now) {
        return RequestIds.madeAt(requestId).map(t -> t.minus(CLOCK_SKEW)).orElse(now.minus(Duration.ofDays(7)));
    }

    /** Lookups from {@link #defaultSince}, for the HTTP API. */
    public static Statuses statuses(KafkaConfig kafka, EventSerde serde, Sources sources, PriceTable prices) {
        return id -> find(kafka, serde, sources, prices, id, defaultSince(id, Instant.now()));
    }

    public static Optional<RequestStatus> find(KafkaConfig kafka, EventSerde serde, Sources sources, PriceTable prices,
                                               String requestId, Instant since) {
        byte[] key = requestId.getBytes(StandardCharsets.UTF_8);
        try (var consumer = CommittedRecords.consumer(kafka)) {
            Map<String, List<PartitionInfo>> existing = consumer.listTopics();
            Topics topics = sources.topics();
            Set<String> keyed = Set.of(topics.promptCreated(), topics.imageReady(), topics.requestFailed(), topics.requestCancelled(),
                    sources.pendingTopic());
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.keywordRequested(), topics.promptCreated(), topics.imageReady(), topics.requestFailed(),
                    topics.requestCancelled(), sources.pendingTopic())) {
                List<PartitionInfo> infos = existing.getOrDefault(topic, List.of());
                if (infos.isEmpty()) {
                    continue;
                }
                if (keyed.contains(topic)) {
                    partitions.add(new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % infos.size()));
                } else {
                    infos.forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                }
            }
            List<Found> found = new ArrayList<>();
            CommittedRecords.read(consumer, partitions, since, record -> {
                if (record.key() != null && Arrays.equals(record.key(), key)) {
                    found.add(new Found(record.topic(), record.partition(), record.offset(), record.timestamp(), record.value()));
                }
            });
            List<Found> pending = found.stream().filter(f -> f.topic().equals(sources.pendingTopic())).toList();
            if (!pending.isEmpty()) {
                List<TopicPartition> batches = existing.getOrDefault(sources.batchesTopic(), List.of()).stream()
                        .map(p -> new TopicPartition(sources.batchesTopic(), p.partition())).toList();
                CommittedRecords.read(consumer, batches, since, record -> {
                    BatchRecord batch;
                    try {
                        batch = BatchRecord.fromJson(record.value());
                    } catch (RuntimeException notTheLanes) {
                        return; // a record some other writer put there: it names no batch of ours
                    }
                    if (batch.state().equals(BatchRecord.OPEN) && pending.stream().anyMatch(p -> p.partition() == batch.partition()
                            && p.offset() >= batch.firstOffset() && p.offset() <= batch.lastOffset())) {
                        found.add(new Found(record.topic(), record.partition(), record.offset(), record.timestamp(),
                                batch.batchId().getBytes(StandardCharsets.UTF_8)));
                    }
                });
            }
            return fold(found, serde, sources, prices, requestId);
        }
    }

    /** The events decoded and folded in the order they were written (a stage's output is written after its input). */
    private static Optional<RequestStatus> fold(List<Found> found, EventSerde serde, Sources sources, PriceTable prices, String requestId) {
        Topics topics = sources.topics();
        List<RequestStatus.Event> events = new ArrayList<>();
        for (Found f : found) {
            Instant at = Instant.ofEpochMilli(f.timestamp());
            try {
                if (f.topic().equals(sources.pendingTopic())) {
                    events.add(new RequestStatus.Event.Pending(at));
                } else if (f.topic().equals(sources.batchesTopic())) {
                    events.add(new RequestStatus.Event.Batched(new String(f.value(), StandardCharsets.UTF_8), at));
                } else {
                    RequestStatus.decode(topics, serde, f.topic(), f.value(), at).ifPresent(events::add);
                }
            } catch (RuntimeException undecodable) {
                // A record under the request's key that is not its event (a broken producer's bytes): its request-failed
                // tells what became of it.
            }
        }
        return RequestStatus.of(requestId, prices, events);
    }
}
