package io.travelart.core.cancel;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.kafka.TopicFollower;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.RequestBounds;
import io.travelart.events.RequestCancelled;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A worker's view of the compacted {@code request-cancelled} topic, read whole by each instance ({@link TopicFollower}):
 * {@link #start} returns once the view holds what the topic held when it was called, so the stage starts no call that
 * a cancel written before the worker started should have stopped. A tombstone withdraws a cancel. Records that are not
 * cancels (undecodable, out of the bounds, a key that is not their request id) are logged and passed over; one whose
 * schema cannot be looked up now (the registry is away) is read again.
 *
 * <p>Memory: one entry per cancel the topic keeps ({@code retention.ms}, 7 days); entries older than that are dropped
 * here too, and past {@link #MAX_KNOWN} the oldest go first, with an error in the log.
 */
public final class CancelReader implements Cancellations, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CancelReader.class);

    /** The most cancels held: about 200 bytes each, so some 20 MB of a 512 MB heap at most. */
    static final int MAX_KNOWN = 100_000;
    private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

    private final KafkaConfig kafka;
    private final String topic;
    private final EventSerde serde;
    private final Time time;
    private final Duration keep;
    private final Map<String, Cancellation> known = new ConcurrentHashMap<>();
    private final Timer effect;
    private final Instant started;
    private TopicFollower follower;
    private Instant lastPrune;

    /**
     * @param keep how long a cancel is held: the topic's retention ({@link io.travelart.core.config.Topics#CANCEL_RETENTION_MS})
     */
    public CancelReader(KafkaConfig kafka, String topic, EventSerde serde, Time time, Duration keep, MeterRegistry registry) {
        this.kafka = kafka;
        this.topic = topic;
        this.serde = serde;
        this.time = time;
        this.keep = keep;
        this.started = time.instant();
        this.lastPrune = started;
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
        follower = TopicFollower.start(kafka, topic, "cancel-reader", timeout, time, this::apply, this::prune);
        log.info("{}: {} cancelled request(s) known", topic, known.size());
        return this;
    }

    @Override
    public Optional<Cancellation> of(String requestId) {
        return requestId == null ? Optional.empty() : Optional.ofNullable(known.get(requestId));
    }

    /** Why the view may be behind, while it is: readiness shows it. */
    public Optional<String> problem() {
        return follower == null ? Optional.empty() : follower.problem().map(p -> "cancels: " + p);
    }

    private void prune() {
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
        } catch (RegistryException e) {
            throw new TopicFollower.NotNow(e);
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
        if (follower != null) {
            follower.close();
        }
    }
}
