package io.travelart.core.engine;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.WakeupException;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer lag per assigned partition ({@value EngineStats#LAG}): the records not yet committed (the log
 * end, as the last fetch saw it, less the committed offset). What autoscaling on consumer lag reads; it
 * counts records taken but still at work. Loop thread only.
 *
 * <p>A topic written in transactions ends each transaction with a commit marker, an offset that holds no record.
 * Once every record read is committed, what lies between the committed offset and the consumer's position is
 * markers only, so the lag is the log end less the position: an idle stage behind a transactional producer (the
 * image stage behind the prompt stage) shows 0, not 1 per partition, and no-progress alerts do not fire on it.
 */
final class LagGauges {

    private static final long REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final MeterRegistry registry;
    private final String stage;
    private final Time time;
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    /** Per partition, one past the last record read: a committed offset there or beyond means nothing read is at work. */
    private final Map<TopicPartition, Long> readUpTo = new HashMap<>();
    private final Map<TopicPartition, AtomicLong> lag = new HashMap<>();
    private long updatedAt;
    private boolean due = true;

    LagGauges(MeterRegistry registry, String stage, Time time) {
        this.registry = registry;
        this.stage = stage;
        this.time = time;
    }

    /** A partition's committed offset, as assigned or as just committed; the next refresh shows it. */
    void committed(TopicPartition partition, long offset) {
        committed.put(partition, offset);
        due = true;
    }

    /** A record read (polled), whether or not it is worked on. */
    void read(TopicPartition partition, long offset) {
        readUpTo.merge(partition, offset + 1, Math::max);
    }

    /** Once a second, and after each commit: reads positions without waiting. */
    void refresh(Consumer<?, ?> consumer) {
        long now = time.nanoTime();
        if (!due && now - updatedAt < REFRESH_NANOS) {
            return;
        }
        due = false;
        updatedAt = now;
        for (TopicPartition tp : consumer.assignment()) {
            var behind = consumer.currentLag(tp);
            Long offset = committed.get(tp);
            if (behind.isEmpty() || offset == null) {
                continue;
            }
            long position;
            try {
                // Never wait: a position not known yet (just after a rebalance) is skipped, and a wakeup (a call
                // finished) must not escape this loop-thread read: poll() sees the finished results by itself.
                position = consumer.position(tp, Duration.ZERO);
            } catch (WakeupException | TimeoutException e) {
                continue;
            }
            long end = position + behind.getAsLong();
            boolean allReadCommitted = offset >= readUpTo.getOrDefault(tp, offset);
            gauge(tp).set(Math.max(0, end - (allReadCommitted ? Math.max(offset, position) : offset)));
        }
    }

    /** Partitions this instance no longer owns: their next owner reports their lag. */
    void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            committed.remove(tp);
            readUpTo.remove(tp);
            var gauge = lag.get(tp);
            if (gauge != null) {
                gauge.set(0);
            }
        }
    }

    private AtomicLong gauge(TopicPartition tp) {
        return lag.computeIfAbsent(tp, p -> {
            var value = new AtomicLong();
            Gauge.builder(EngineStats.LAG, value, AtomicLong::get)
                    .description("Records of the partition not yet committed by this stage (consumer lag)")
                    .tags("stage", stage, "topic", p.topic(), "partition", Integer.toString(p.partition()))
                    .register(registry);
            return value;
        });
    }
}
