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
 */
final class LagGauges {

    private static final long REFRESH_NANOS = Duration.ofSeconds(1).toNanos();

    private final MeterRegistry registry;
    private final String stage;
    private final Time time;
    private final Map<TopicPartition, Long> committed = new HashMap<>();
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
            gauge(tp).set(Math.max(0, position + behind.getAsLong() - offset));
        }
    }

    /** Partitions this instance no longer owns: their next owner reports their lag. */
    void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            committed.remove(tp);
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
