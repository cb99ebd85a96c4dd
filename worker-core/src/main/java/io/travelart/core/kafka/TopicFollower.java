package io.travelart.core.kafka;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A topic held as state by whoever reads it (a compacted one, say): every partition, committed records only, no
 * consumer group (each instance needs all of it). {@link #start} reads it to the end it has when called, so that the
 * reader knows what was written before it started; then it follows the topic on a thread of its own. A record the
 * handler cannot take now ({@link NotNow}: what it needs to read it is away) is not lost: its partition goes back to
 * it, and reading goes on after a second; meanwhile {@link #problem} says so.
 */
public final class TopicFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFollower.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration BACK_OFF = Duration.ofSeconds(1);

    /** Thrown by a handler for a record it cannot take now; the record is read again. */
    public static final class NotNow extends RuntimeException {
        public NotNow(RuntimeException cause) {
            super(cause.getMessage(), cause);
        }
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final String topic;
    private final Consumer<ConsumerRecord<String, byte[]>> handler;
    private final Runnable afterEachPoll;
    private final Time time;
    private Thread thread;
    private volatile boolean running = true;
    private volatile String problem;

    private TopicFollower(KafkaConfig kafka, String topic, Consumer<ConsumerRecord<String, byte[]>> handler, Runnable afterEachPoll,
                          Time time) {
        this.topic = topic;
        this.handler = handler;
        this.afterEachPoll = afterEachPoll;
        this.time = time;
        this.consumer = new KafkaConsumer<>(kafka.with(Map.of(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Reads {@code topic} to its end, handing each record to {@code handler}, then follows it on a thread named
     * {@code threadName}.
     *
     * @param afterEachPoll run on the reading thread after each poll (housekeeping of what the handler keeps)
     * @throws IllegalStateException when the topic does not exist or cannot be read to its end within {@code timeout}
     */
    public static TopicFollower start(KafkaConfig kafka, String topic, String threadName, Duration timeout, Time time,
                                      Consumer<ConsumerRecord<String, byte[]>> handler, Runnable afterEachPoll) {
        TopicFollower follower = new TopicFollower(kafka, topic, handler, afterEachPoll, time);
        KafkaConsumer<String, byte[]> consumer = follower.consumer;
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " does not exist (create it with 'travelart topics create')");
            }
            List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            long deadline = time.nanoTime() + timeout.toNanos();
            while (ends.entrySet().stream().anyMatch(e -> consumer.position(e.getKey(), timeout) < e.getValue())) {
                if (time.nanoTime() > deadline) {
                    throw new IllegalStateException("reading " + topic + " to its end took longer than " + timeout);
                }
                follower.pollOnce();
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        follower.thread = new Thread(follower::follow, threadName);
        follower.thread.setDaemon(true);
        follower.thread.start();
        return follower;
    }

    /** Why what the reader holds may be behind the topic, while it is. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    private void follow() {
        try {
            while (running) {
                try {
                    pollOnce();
                    if (problem != null) {
                        log.info("{} is read again", topic);
                        problem = null;
                    }
                } catch (WakeupException e) {
                    return;
                } catch (RuntimeException e) {
                    if (problem == null) {
                        log.warn("reading {} failed; what is written there meanwhile is taken once it is read again: {}", topic, e.toString());
                    }
                    problem = topic + " cannot be read (the log says why)";
                    try {
                        time.sleep(BACK_OFF);
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void pollOnce() {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        NotNow unread = null;
        for (TopicPartition partition : records.partitions()) {
            for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                try {
                    handler.accept(record);
                } catch (NotNow e) {
                    consumer.seek(partition, record.offset());
                    unread = e;
                    break;
                }
            }
        }
        afterEachPoll.run();
        if (unread != null) {
            throw unread;
        }
    }

    @Override
    public void close() {
        running = false;
        if (thread == null) {
            return;
        }
        consumer.wakeup();
        try {
            thread.join(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
