package io.travelart.core.cancel;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestCancelled;
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
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A worker's view of the compacted {@code request-cancelled} topic: every partition read from its start, then followed
 * on a thread of its own (no consumer group: each instance needs every cancel). {@link #start} returns once the view
 * holds what the topic held when it was called, so the stage starts no call that a cancel written before the worker
 * started should have stopped. A tombstone withdraws a cancel. Records that are not cancels (undecodable, out of the
 * bounds, a key that is not their request id) are logged and passed over.
 *
 * <p>Memory: one entry per cancel the topic keeps ({@code retention.ms}, 7 days); entries older than that are dropped
 * here too, and past {@link #MAX_KNOWN} the oldest go first, with an error in the log.
 */
public final class CancelReader implements Cancellations, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CancelReader.class);

    /** The most cancels held: about 200 bytes each, so some 20 MB of a 512 MB heap at most. */
    static final int MAX_KNOWN = 100_000;
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    private final String topic;
    private final EventSerde serde;
    private final Time time;
    private final Duration keep;
    private final Map<String, Cancellation> known = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Timer effect;
    private final Instant started;
    private Thread thread;
    private volatile boolean running = true;
    private volatile String problem;
    private Instant lastPrune;

    /**
     * @param keep how long a cancel is held: the topic's retention ({@link io.travelart.core.config.Topics#CANCEL_RETENTION_MS})
     */
    public CancelReader(KafkaConfig kafka, String topic, EventSerde serde, Time time, Duration keep, MeterRegistry registry) {
        this.topic = topic;
        this.serde = serde;
        this.time = time;
        this.keep = keep;
        this.started = time.instant();
        this.lastPrune = started;
        this.consumer = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new StringDeserializer(), new ByteArrayDeserializer());
        Gauge.builder("travelart.cancels.known", known, Map::size)
                .description("Cancelled requests this instance knows of (request-cancelled, latest " + keep.toDays() + " days)")
                .register(registry);
        this.effect = Timer.builder("travelart.cancel.effect")
                .description("From a cancel's time to this instance reading it: from then on no call of that request starts here")
                .publishPercentiles(0.5, 0.99).register(registry);
    }

    /**
     * Reads the topic to the end it has now, then follows it on its own thread.
     *
     * @throws IllegalStateException when the topic does not exist or cannot be read to its end within {@code timeout}
     */
    public CancelReader start(Duration timeout) {
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
                pollOnce();
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        log.info("{}: {} cancelled request(s) known", topic, known.size());
        thread = new Thread(this::follow, "cancel-reader");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    @Override
    public Optional<Cancellation> of(String requestId) {
        return requestId == null ? Optional.empty() : Optional.ofNullable(known.get(requestId));
    }

    /** Why the view may be behind, while it is: readiness shows it. */
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
                        log.warn("reading {} failed; cancels written meanwhile take effect once it is read again: {}", topic, e.toString());
                    }
                    problem = "cancels (" + topic + ") cannot be read (the log says why)";
                    try {
                        time.sleep(Duration.ofSeconds(1));
                    } catch (InterruptedException interrupted) {
                        return;
                    }
                }
            }
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    /**
     * One poll. A record whose schema cannot be looked up (the registry is down) is not lost: its partition goes back
     * to it and the error is thrown once the other partitions' records are in.
     */
    private void pollOnce() {
        ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
        RegistryException unread = null;
        for (TopicPartition partition : records.partitions()) {
            for (ConsumerRecord<String, byte[]> record : records.records(partition)) {
                try {
                    apply(record);
                } catch (RegistryException e) {
                    consumer.seek(partition, record.offset());
                    unread = e;
                    break;
                }
            }
        }
        if (unread != null) {
            throw unread;
        }
        Instant now = time.instant();
        if (Duration.between(lastPrune, now).compareTo(PRUNE_EVERY) >= 0) {
            lastPrune = now;
            Instant oldest = now.minus(keep);
            known.values().removeIf(c -> c.cancelledAt().isBefore(oldest));
        }
    }

    private void apply(ConsumerRecord<String, byte[]> record) {
        String key = record.key();
        if (key == null) {
            log.warn("{}-{}@{} has no key: not a cancel, passed over", record.topic(), record.partition(), record.offset());
            return;
        }
        if (record.value() == null) {
            if (known.remove(key) != null) {
                log.info("cancel of request {} withdrawn", RequestBounds.shownId(key));
            }
            return;
        }
        RequestCancelled event;
        try {
            event = serde.deserialize(record.value(), RequestCancelled.class);
        } catch (DecodeException e) {
            log.warn("{}-{}@{} is not a cancel, passed over: {}", record.topic(), record.partition(), record.offset(), e.getMessage());
            return;
        }
        Optional<String> wrong = RequestBounds.problem(event)
                .or(() -> key.equals(event.getRequestId()) ? Optional.empty()
                        : Optional.of("its key " + RequestBounds.shown(key) + " is not its requestId"));
        if (wrong.isPresent()) {
            log.warn("{}-{}@{} is not a valid cancel, passed over: {}", record.topic(), record.partition(), record.offset(), wrong.get());
            return;
        }
        Cancellation cancel = Cancellation.of(event);
        Instant now = time.instant();
        if (cancel.cancelledAt().isBefore(now.minus(keep))) {
            return;
        }
        known.put(key, cancel);
        if (!cancel.cancelledAt().isBefore(started)) {
            effect.record(Duration.between(cancel.cancelledAt(), now).abs());
        }
        if (known.size() > MAX_KNOWN) {
            forgetOldest();
        }
    }

    /** Past the bound, the oldest tenth goes: a request that old has most likely ended. */
    private void forgetOldest() {
        int drop = MAX_KNOWN / 10;
        log.error("more than {} cancelled requests within {} days; forgetting the oldest {} (their requests, if still waiting, "
                + "would be drawn)", MAX_KNOWN, keep.toDays(), drop);
        known.values().stream().sorted(Comparator.comparing(Cancellation::cancelledAt)).limit(drop).toList()
                .forEach(c -> known.remove(c.requestId(), c));
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
