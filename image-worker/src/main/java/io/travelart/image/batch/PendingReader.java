package io.travelart.image.batch;

import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Reads a batch's pending records again by offset, on the lane's range consumer: all of them in order, handed on one at
 * a time (never a list of the batch), or one by offset. One poll's records are kept as a window, so that reading the
 * records of a file's lines, which mostly come in the order they were written, fetches each part of the range once;
 * the window is one fetch of the consumer (at most {@code max.partition.fetch.bytes}, 1 MiB by default).
 */
final class PendingReader {

    private static final Duration PATIENCE = Duration.ofSeconds(30);

    private final Consumer<byte[], byte[]> range;
    private final String topic;
    private final Time time;
    private List<ConsumerRecord<byte[], byte[]>> window = List.of();
    private TopicPartition windowPartition;

    PendingReader(Consumer<byte[], byte[]> range, String topic, Time time) {
        this.range = range;
        this.topic = topic;
        this.time = time;
    }

    /** Hands on each pending record of the batch, in order (for 30 s at most between records). */
    void forEach(BatchRecord batch, java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        TopicPartition tp = seek(batch, batch.firstOffset());
        long deadline = deadline();
        while (range.position(tp) <= batch.lastOffset()) {
            checkDeadline(deadline, batch, tp);
            for (ConsumerRecord<byte[], byte[]> record : range.poll(Duration.ofMillis(200))) {
                if (record.offset() <= batch.lastOffset()) {
                    each.accept(record);
                    deadline = deadline();
                }
            }
        }
    }

    /** The pending record at this offset of the batch's partition; empty when there is none (a transaction marker). */
    Optional<ConsumerRecord<byte[], byte[]>> get(BatchRecord batch, long offset) {
        TopicPartition tp = new TopicPartition(topic, batch.partition());
        Optional<ConsumerRecord<byte[], byte[]>> held = inWindow(tp, offset);
        if (held.isPresent() || covers(tp, offset)) {
            return held;
        }
        seek(batch, offset);
        long deadline = deadline();
        while (range.position(tp) <= offset) {
            checkDeadline(deadline, batch, tp);
            List<ConsumerRecord<byte[], byte[]>> polled = range.poll(Duration.ofMillis(200)).records(tp);
            if (!polled.isEmpty()) {
                window = polled;
                windowPartition = tp;
            }
        }
        return inWindow(tp, offset);
    }

    private Optional<ConsumerRecord<byte[], byte[]>> inWindow(TopicPartition tp, long offset) {
        if (!tp.equals(windowPartition)) {
            return Optional.empty();
        }
        return window.stream().filter(r -> r.offset() == offset).findFirst();
    }

    /** Whether the window spans this offset (then a record it lacks is not in the log). */
    private boolean covers(TopicPartition tp, long offset) {
        return tp.equals(windowPartition) && !window.isEmpty() && window.get(0).offset() <= offset
                && window.get(window.size() - 1).offset() >= offset;
    }

    private TopicPartition seek(BatchRecord batch, long offset) {
        TopicPartition tp = new TopicPartition(topic, batch.partition());
        if (!range.assignment().equals(java.util.Set.of(tp))) {
            range.assign(List.of(tp));
        }
        range.seek(tp, offset);
        window = List.of();
        return tp;
    }

    /** Forgets the window (a batch answered, or given up). */
    void forget() {
        window = List.of();
        windowPartition = null;
    }

    private long deadline() {
        return time.nanoTime() + PATIENCE.toNanos();
    }

    private void checkDeadline(long deadline, BatchRecord batch, TopicPartition tp) {
        if (time.nanoTime() > deadline) {
            throw new IllegalStateException("the pending records " + tp + " " + batch.firstOffset() + "-" + batch.lastOffset()
                    + " could not be read within " + PATIENCE.toSeconds() + " s");
        }
    }
}
