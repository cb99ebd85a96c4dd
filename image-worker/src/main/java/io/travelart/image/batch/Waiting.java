package io.travelart.image.batch;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lane's gathering: the pending records read and not yet in a batch, per pending partition, and since when the
 * partition's group has waited. A group is due when it is full ({@code TRAVELART_BATCH_MAX_REQUESTS}) or its oldest has
 * waited {@code TRAVELART_BATCH_MAX_AGE}. The lane takes no more of a partition that holds a full batch already, so
 * while submissions fail what waits stays within one batch per partition instead of growing with the topic.
 */
final class Waiting {

    private final int maxRequests;
    private final Duration maxAge;
    private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> records = new HashMap<>();
    private final Map<TopicPartition, Instant> since = new HashMap<>();
    private volatile int count;
    private volatile Instant oldest;

    Waiting(int maxRequests, Duration maxAge) {
        this.maxRequests = maxRequests;
        this.maxAge = maxAge;
    }

    void add(Iterable<ConsumerRecord<byte[], byte[]>> polled, Instant now) {
        for (ConsumerRecord<byte[], byte[]> record : polled) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            records.computeIfAbsent(tp, k -> new ArrayList<>()).add(record);
            since.putIfAbsent(tp, now);
        }
        refresh();
    }

    /** Partitions no longer the lane's: what it read of them is read again by their next owner. */
    void revoke(Collection<TopicPartition> partitions) {
        partitions.forEach(tp -> {
            records.remove(tp);
            since.remove(tp);
        });
        refresh();
    }

    /** The partitions with records waiting. */
    List<TopicPartition> partitions() {
        return records.entrySet().stream().filter(e -> !e.getValue().isEmpty()).map(Map.Entry::getKey).toList();
    }

    boolean due(TopicPartition tp, Instant now) {
        List<ConsumerRecord<byte[], byte[]>> waiting = records.getOrDefault(tp, List.of());
        return !waiting.isEmpty() && (waiting.size() >= maxRequests || !since.get(tp).plus(maxAge).isAfter(now));
    }

    /** The first records of a partition, at most a batch of them. */
    List<ConsumerRecord<byte[], byte[]>> group(TopicPartition tp) {
        List<ConsumerRecord<byte[], byte[]>> waiting = records.getOrDefault(tp, List.of());
        return List.copyOf(waiting.subList(0, Math.min(waiting.size(), maxRequests)));
    }

    /** The records up to {@code lastOffset} are taken (in a batch, answered, or drawn); the rest wait from now. */
    void taken(TopicPartition tp, long lastOffset, Instant now) {
        List<ConsumerRecord<byte[], byte[]>> waiting = records.getOrDefault(tp, new ArrayList<>());
        waiting.removeIf(r -> r.offset() <= lastOffset);
        if (waiting.isEmpty()) {
            since.remove(tp);
        } else {
            since.put(tp, now);
        }
        refresh();
    }

    /** A submission failed: the group is due again in 5 s, not at once. */
    void retryLater(TopicPartition tp, Instant now) {
        since.put(tp, now.minus(maxAge).plusSeconds(5));
    }

    /** Pauses the pending partitions that hold a full batch, and resumes those that have room again. */
    void hold(Consumer<byte[], byte[]> pending) {
        Set<TopicPartition> assigned = pending.assignment();
        List<TopicPartition> full = new ArrayList<>();
        List<TopicPartition> room = new ArrayList<>();
        for (TopicPartition tp : assigned) {
            (records.getOrDefault(tp, List.of()).size() >= maxRequests ? full : room).add(tp);
        }
        pending.pause(full);
        room.retainAll(pending.paused());
        pending.resume(room);
    }

    private void refresh() {
        count = records.values().stream().mapToInt(List::size).sum();
        oldest = since.values().stream().min(Instant::compareTo).orElse(null);
    }

    /** Requests waiting, for the {@code travelart.batch.waiting} gauge (any thread). */
    int count() {
        return count;
    }

    /** Since when the oldest waits; null when none does (any thread). */
    Instant oldest() {
        return oldest;
    }
}
