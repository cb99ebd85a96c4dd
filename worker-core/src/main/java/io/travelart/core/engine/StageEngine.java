package io.travelart.core.engine;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestFailed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs one {@link Stage} between Kafka topics. Every consumed record ends as exactly one event in the
 * committed output: the stage's output or a {@code RequestFailed}.
 *
 * <ul>
 *   <li>Up to {@code maxInFlight} records are worked on at once, whatever the partition count. A
 *       finished call starts the next waiting record on its own thread, so calls keep flowing while the
 *       loop thread commits.</li>
 *   <li>Per partition, results are published in input order up to the first unfinished record
 *       ({@link OffsetBook}); each batch of results and its consumed offsets commit in one Kafka
 *       transaction, so a crash at any point leaves every input reflected exactly once.</li>
 *   <li>When enough records wait, the engine pauses its partitions but keeps polling, so slow calls
 *       never exceed {@code max.poll.interval.ms}.</li>
 *   <li>On rebalance, what is finished is committed, and the revoked partitions' other records are
 *       abandoned: their new owner reads them again from the committed offset.</li>
 *   <li>{@link #close()} drains: no new records, in-flight calls get {@code drainGrace} to finish, the
 *       finished prefix is committed, the rest is left for the next owner.</li>
 * </ul>
 * Undecodable records become INGEST failures carrying their raw bytes, so a partition never stalls.
 */
public final class StageEngine<I extends SpecificRecord, O extends SpecificRecord> implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StageEngine.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(100);


    /**
     * Where a stage reads and writes, and how much it takes at once.
     *
     * @param transactionalId stable per worker instance: a restarted instance aborts what its crashed
     *                        predecessor left open at once, instead of readers waiting for the timeout
     * @param maxBuffered     records kept waiting for a call slot before partitions are paused: enough that
     *                        calls keep starting while the loop thread commits (a commit takes milliseconds,
     *                        and short calls finish many in that time)
     * @param commitInterval  the longest a transaction stays open while results keep coming; when they stop
     *                        coming, it commits at once
     * @param drainGrace      how long {@link #close()} waits for calls in flight
     */
    public record Config(String inputTopic, String outputTopic, String failedTopic, String groupId,
                         String clientId, String transactionalId, int maxInFlight, int maxBuffered, Duration commitInterval,
                         Duration drainGrace) {

        /** Records held (waiting, in flight, or finished behind a slower one) before partitions are paused. */
        int maxHeld() {
            return 2 * maxBuffered + 8 * maxInFlight;
        }
    }

    /**
     * What a finished record leaves to publish; {@code record} is null when not even a failure event
     * could be built (the registry unreachable for a schema id not yet cached).
     */
    private record Result(ProducerRecord<String, byte[]> record, boolean failed) {
    }

    /** A record taken from Kafka, waiting for a free call slot; {@code probe} when the paused gate let it through to probe. */
    private record Work(ConsumerRecord<byte[], byte[]> record, OffsetBook.Ticket<Result> ticket, boolean probe) {
        Work asProbe() {
            return new Work(record, ticket, true);
        }
    }

    private record Finished(OffsetBook.Ticket<Result> ticket, Result result) {
    }

    private final Stage<I, O> stage;
    private final Config config;
    private final EventSerde serde;
    private final Clock clock;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final EngineStats stats;
    private final KafkaClientMetrics consumerMetrics;
    private final KafkaClientMetrics producerMetrics;
    /** Whether the group has given this member its assignment (possibly empty) and not taken it back. */
    private volatile boolean assigned;
    private final MeterRegistry registry;
    /** Loop-thread state: the next offset committed per assigned partition, and the lag gauges. */
    private final Map<TopicPartition, Long> committedOffsets = new HashMap<>();
    private final Map<TopicPartition, AtomicLong> lag = new HashMap<>();
    private long lagUpdatedAt;

    private final OffsetBook<Result> book = new OffsetBook<>();
    /** Records to start, oldest first; one held while the stage is paused goes back to the front. */
    private final ConcurrentLinkedDeque<Work> waiting = new ConcurrentLinkedDeque<>();
    private final StageGate gate;
    private final ConcurrentLinkedQueue<Finished> finished = new ConcurrentLinkedQueue<>();
    private final Semaphore slots;
    private final ThreadLocal<Boolean> starting = ThreadLocal.withInitial(() -> false);
    private final AtomicBoolean signalled = new AtomicBoolean();
    private final Set<TopicPartition> paused = new HashSet<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean stopping;
    private volatile boolean started;
    private volatile long stopDeadline;
    /** Loop-thread state of the open transaction. */
    private boolean transactionOpen;
    private long transactionStarted;
    private long sentPublished;
    private long sentFailed;
    private boolean lastPollEmpty;

    /**
     * @param gate     says whether records may start: a stage paused by a failure of the worker starts none, and
     *                 keeps the records whose calls failed that way instead of publishing failures
     * @param registry where the engine's meters and its Kafka clients' metrics go
     */
    public StageEngine(Stage<I, O> stage, Config config, KafkaConfig kafka, EventSerde serde, Clock clock, StageGate gate,
                       MeterRegistry registry) {
        this.stage = stage;
        this.gate = gate;
        this.stats = new EngineStats(registry, stage.name());
        this.registry = registry;
        this.config = config;
        this.serde = serde;
        this.clock = clock;
        this.slots = new Semaphore(config.maxInFlight());
        Map<String, Object> consumerDefaults = Map.of(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500");
        this.consumer = new KafkaConsumer<>(withDefaults(kafka, consumerDefaults, Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
                // Static membership: an instance restarted under its id (after a crash, or a pod rescheduled) takes its
                // partitions back at once, instead of waiting out the dead member's session. The id is the instance's
                // transactional id, which is unique per instance already.
                ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.transactionalId(),
                ConsumerConfig.CLIENT_ID_CONFIG, config.clientId() + "-consumer",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        // Short transaction timeout: a crashed instance's open transaction must not block readers for long.
        // Short, capped retry backoff: the first send of a transaction is refused (CONCURRENT_TRANSACTIONS) until
        // the previous one's markers are written, and the default 100 ms growing to 1 s would cap commits at a
        // few per second. One request in flight per connection: with five, the batches behind a refused first
        // one are refused too (out of order) and all are sent again.
        // (Measured with travelart bench --processor noop|sleep; see the README's Performance section.)
        Map<String, Object> producerDefaults = Map.of(
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, "10000",
                ProducerConfig.LINGER_MS_CONFIG, "2",
                ProducerConfig.RETRY_BACKOFF_MS_CONFIG, "2",
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1",
                ProducerConfig.RETRY_BACKOFF_MAX_MS_CONFIG, "20");
        this.producer = new KafkaProducer<>(withDefaults(kafka, producerDefaults, Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, config.clientId() + "-producer",
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, config.transactionalId(),
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true")),
                new StringSerializer(), new ByteArraySerializer());
        // Kafka's own client metrics, records-lag per partition among them (kafka.consumer.fetch.manager.records.lag).
        this.consumerMetrics = new KafkaClientMetrics(consumer);
        this.consumerMetrics.bindTo(registry);
        this.producerMetrics = new KafkaClientMetrics(producer);
        this.producerMetrics.bindTo(registry);
    }

    /** Ready to work: a member of its group with its assignment (which may be empty when instances outnumber partitions). */
    public boolean isAssigned() {
        return assigned;
    }

    /** Our defaults, then what the operator set ({@code KAFKA_*}), then what correctness requires. */
    private static java.util.Properties withDefaults(KafkaConfig kafka, Map<String, Object> defaults, Map<String, Object> required) {
        java.util.Properties props = new java.util.Properties();
        props.putAll(defaults);
        props.putAll(kafka.with(required));
        return props;
    }

    public EngineStats stats() {
        return stats;
    }

    @Override
    public void run() {
        started = true;
        try {
            producer.initTransactions();
            consumer.subscribe(List.of(config.inputTopic()), new Rebalance());
            log.info("{} stage reading {} as group {} (max in flight {})", stage.name(), config.inputTopic(),
                    config.groupId(), config.maxInFlight());
            while (!stopping) {
                poll();
                startWaiting();
                settle(false);
                adjustPause();
                updateLag();
            }
            drain();
        } finally {
            try {
                consumerMetrics.close();
                producerMetrics.close();
                // A static member stays in the group on close unless told: a stopping instance hands its partitions on now.
                consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                        .withTimeout(Duration.ofSeconds(5)));
                producer.close(Duration.ofSeconds(5));
            } finally {
                assigned = false;
                stopped.countDown();
            }
        }
    }

    private void poll() {
        signalled.set(false);
        if (!finished.isEmpty()) {
            // Results to publish already: look for records, but do not wait for them.
            pollFor(Duration.ZERO);
        } else if (transactionOpen) {
            // Wait no longer than until the open transaction is due to commit.
            long due = transactionStarted + config.commitInterval().toNanos() - System.nanoTime();
            pollFor(Duration.ofNanos(Math.max(0, Math.min(due, IDLE_POLL.toNanos()))));
        } else {
            pollFor(IDLE_POLL);
        }
    }

    private void pollFor(Duration timeout) {
        try {
            var records = consumer.poll(timeout);
            stats.polls.increment();
            lastPollEmpty = records.isEmpty();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                OffsetBook.Ticket<Result> ticket = book.add(new TopicPartition(record.topic(), record.partition()), record.offset());
                waiting.add(new Work(record, ticket, false));
                stats.consumed.increment();
            }
        } catch (WakeupException e) {
            // A call finished: its result is waiting to be committed.
        }
    }

    /** Starts waiting records while call slots are free. Runs on the loop thread and on call threads. */
    private void startWaiting() {
        if (starting.get()) {
            return; // a result that completed inside start(): the outer loop here goes on
        }
        starting.set(true);
        // Often runs on a call thread that has just finished another request: what starts here is not about that one.
        try (RequestContext none = RequestContext.of(null)) {
            while (!stopping && slots.tryAcquire()) {
                Work work = waiting.poll();
                if (work == null) {
                    slots.release();
                    // A record may have arrived between the poll and the release: look once more.
                    if (waiting.isEmpty() || !slots.tryAcquire()) {
                        return;
                    }
                    work = waiting.poll();
                    if (work == null) {
                        slots.release();
                        return;
                    }
                }
                if (work.ticket().isStale()) {
                    slots.release();
                    continue;
                }
                if (!gate.admit()) {
                    waiting.addFirst(work);
                    slots.release();
                    return;
                }
                start(gate.isPaused() ? work.asProbe() : work);
            }
        } finally {
            starting.set(false);
        }
    }

    private void start(Work work) {
        ConsumerRecord<byte[], byte[]> record = work.record();
        Instant startedAt = clock.instant();
        I input;
        try {
            input = serde.deserialize(record.value(), stage.inputType());
        } catch (DecodeException e) {
            log.warn("undecodable record {}-{}@{} (key {}): {}", record.topic(), record.partition(), record.offset(),
                    rawKey(record), e.getMessage());
            complete(work, failureRecord(record, StageNames.INGEST, Failure.permanent(ErrorCodes.INGEST, e.getMessage()),
                    null, null, startedAt));
            return;
        }
        String requestId = stage.requestId(input);
        String keyword = stage.keyword(input);
        stats.inFlight.incrementAndGet();
        java.util.concurrent.CompletableFuture<Outcome<O>> outcome;
        try (RequestContext context = RequestContext.of(requestId)) {
            outcome = stage.process(input);
        } catch (RuntimeException e) {
            outcome = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        outcome.whenComplete((result, error) -> {
            try (RequestContext context = RequestContext.of(requestId)) {
                finish(work, record, result, error, requestId, keyword, startedAt);
            }
        });
    }

    private void finish(Work work, ConsumerRecord<byte[], byte[]> record, Outcome<O> result, Throwable error, String requestId,
                        String keyword, Instant startedAt) {
        stats.inFlight.decrementAndGet();
        Outcome<O> o = result;
        if (error != null) {
            log.error("{} stage failed unexpectedly on request {}", stage.name(), requestId, error);
            o = Outcome.failed(Failure.permanent(ErrorCodes.INTERNAL, String.valueOf(error)));
        }
        if (work.probe()) {
            gate.probeDone();
        }
        if (o instanceof Outcome.Failed<O> failed && gate.holds(failed.failure())) {
            // Not the request's failure but the worker's: the record waits, unanswered and uncommitted, for the stage to resume.
            waiting.addFirst(new Work(work.record(), work.ticket(), false));
            slots.release();
            startWaiting();
            return;
        }
        Result built;
        try {
            built = toResult(record, o, requestId, keyword, startedAt);
        } catch (RuntimeException e) {
            // Must not escape: a completion that never arrives would stall the partition for good.
            log.error("request {}: neither its result nor its failure event can be serialized", requestId, e);
            built = new Result(null, true);
        }
        complete(work, built);
    }

    /** Runs where the call finished: hands the result to the loop thread and takes the next waiting record. */
    private void complete(Work work, Result result) {
        finished.add(new Finished(work.ticket(), result));
        slots.release();
        if (signalled.compareAndSet(false, true)) {
            consumer.wakeup();
        }
        startWaiting();
    }

    private Result toResult(ConsumerRecord<byte[], byte[]> record, Outcome<O> outcome, String requestId, String keyword,
                            Instant startedAt) {
        try {
            if (outcome instanceof Outcome.Published<O> published) {
                return new Result(new ProducerRecord<>(config.outputTopic(), null, requestId,
                        serde.serialize(config.outputTopic(), published.event()), EventHeaders.forOutput(record.headers(),
                        published.event().getSchema().getFullName(), source(), requestId, clock.instant())), false);
            }
            Failure failure = ((Outcome.Failed<O>) outcome).failure();
            log.info("request {} failed at {}: {} {} (attempts {})", requestId, stage.name(), failure.code(),
                    failure.message(), failure.attempts());
            return failureRecord(record, stage.name(), failure, requestId, keyword, startedAt);
        } catch (RuntimeException e) {
            // Serializing needs the registry only for a schema id not yet cached; keep the request anyway.
            log.error("request {}: cannot serialize its result", requestId, e);
            return failureRecord(record, stage.name(), Failure.retriable(ErrorCodes.INTERNAL, "cannot serialize the result: " + e),
                    requestId, keyword, startedAt);
        }
    }

    private Result failureRecord(ConsumerRecord<byte[], byte[]> record, String stageName, Failure failure,
                                 String requestId, String keyword, Instant startedAt) {
        var event = FailureEvents.of(record, stageName, failure, requestId, keyword,
                failure.firstFailureAt() != null ? failure.firstFailureAt() : startedAt, clock.instant());
        // An undecodable record has no request id: its failure keeps the key it came with.
        String key = requestId != null ? requestId : rawKey(record);
        return new Result(new ProducerRecord<>(config.failedTopic(), null, key, serde.serialize(config.failedTopic(), event),
                EventHeaders.forOutput(record.headers(), RequestFailed.getClassSchema().getFullName(), source(), key, clock.instant())), true);
    }

    /** The CloudEvents source of what this stage publishes. */
    private String source() {
        return "/travelart/" + stage.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Takes finished results into the book, publishes what became publishable (each partition's
     * contiguous finished prefix) in the open transaction, and commits it with the consumed offsets
     * when asked to, when nothing more is coming right now, or when it has been open for the commit
     * interval. Publishing as results come, and committing once per interval under load, lets the
     * producer send while the stage works.
     */
    private void settle(boolean commitNow) {
        boolean unpublishable = false;
        for (Finished f; (f = finished.poll()) != null; ) {
            unpublishable |= book.finish(f.ticket(), f.result()) && f.result().record() == null;
        }
        if (unpublishable) {
            // Nothing is skipped: every uncommitted record is read and worked on again, after a pause.
            log.warn("{} stage: a result could not be serialized; reading uncommitted records again in 1 s", stage.name());
            abortAndRewind();
            sleepQuietly(Duration.ofSeconds(1));
            return;
        }
        try {
            publish(book.takeReady());
            // Idle: nothing polled, nothing finished, nothing running. Otherwise more results are coming, and
            // one commit per interval carries them all.
            boolean quiet = lastPollEmpty && finished.isEmpty() && waiting.isEmpty() && stats.inFlight.get() == 0;
            if (transactionOpen && (commitNow || quiet
                    || System.nanoTime() - transactionStarted >= config.commitInterval().toNanos())) {
                commit();
            }
        } catch (FatalKafkaException e) {
            throw e;
        } catch (ProducerFencedException | FencedInstanceIdException | OutOfOrderSequenceException
                 | AuthorizationException | AuthenticationException | UnsupportedVersionException e) {
            throw new FatalKafkaException(config.transactionalId() + ": " + e.getMessage()
                    + (e instanceof ProducerFencedException ? " (is another instance running with the same TRAVELART_INSTANCE_ID?)" : ""), e);
        } catch (KafkaException e) {
            log.warn("{} stage: transaction aborted ({}); reading uncommitted records again", stage.name(), e.toString());
            abortAndRewind();
        }
    }

    private void publish(OffsetBook.Ready<Result> ready) {
        if (ready.isEmpty()) {
            return;
        }
        if (!transactionOpen) {
            producer.beginTransaction();
            transactionOpen = true;
            transactionStarted = System.nanoTime();
        }
        for (Result result : ready.results()) {
            producer.send(result.record());
            if (result.failed()) {
                sentFailed++;
            } else {
                sentPublished++;
            }
        }
    }

    private void commit() {
        long began = System.nanoTime();
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        book.handedOutOffsets().forEach((tp, next) -> offsets.put(tp, new OffsetAndMetadata(next)));
        producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
        commitTransaction();
        offsets.forEach((tp, offset) -> committedOffsets.put(tp, offset.offset()));
        lagUpdatedAt = 0; // what was committed shows in the lag at the next turn of the loop
        transactionOpen = false;
        book.committed();
        stats.published.increment(sentPublished);
        stats.failed.increment(sentFailed);
        sentPublished = 0;
        sentFailed = 0;
        stats.transactions.record(System.nanoTime() - began, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A commit that times out (a broker restarting) is retried: it may have gone through, and repeating it is safe. */
    private void commitTransaction() {
        while (true) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (stopping && clock.millis() > stopDeadline) {
                    throw new FatalKafkaException("committing timed out while stopping: " + e.getMessage(), e);
                }
                log.warn("{} stage: committing timed out, trying again: {}", stage.name(), e.getMessage());
            }
        }
    }

    /**
     * Aborts the open transaction and reads every uncommitted record again; calls still running are
     * abandoned (their results are stale).
     */
    private void abortAndRewind() {
        if (transactionOpen) {
            try {
                producer.abortTransaction();
            } catch (KafkaException e) {
                throw new FatalKafkaException("cannot abort the transaction: " + e.getMessage(), e);
            }
            transactionOpen = false;
        }
        sentPublished = 0;
        sentFailed = 0;
        Set<TopicPartition> assigned = consumer.assignment();
        book.rewind().forEach((tp, offset) -> {
            if (assigned.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
        waiting.clear();
    }

    /**
     * Once a second, and after each commit: per assigned partition, the records not yet committed (the log end, as the last fetch saw it,
     * less the committed offset). What autoscaling on consumer lag reads: it counts records taken but still at work.
     */
    private void updateLag() {
        long now = System.nanoTime();
        if (now - lagUpdatedAt < 1_000_000_000L) {
            return;
        }
        lagUpdatedAt = now;
        for (TopicPartition tp : consumer.assignment()) {
            var behind = consumer.currentLag(tp);
            Long committed = committedOffsets.get(tp);
            if (behind.isEmpty() || committed == null) {
                continue;
            }
            long position;
            try {
                // Never wait here: this is the loop thread, outside poll(). A position not known yet (just after a
                // rebalance) is skipped, and a wakeup (a call finished) must not escape: poll() sees the finished
                // results by itself. An escaped wakeup here stopped the image-worker in a broker-restart test.
                position = consumer.position(tp, Duration.ZERO);
            } catch (WakeupException | TimeoutException e) {
                continue;
            }
            lagGauge(tp).set(Math.max(0, position + behind.getAsLong() - committed));
        }
    }

    private AtomicLong lagGauge(TopicPartition tp) {
        return lag.computeIfAbsent(tp, p -> {
            var value = new AtomicLong();
            Gauge.builder(EngineStats.LAG, value, AtomicLong::get)
                    .description("Records of the partition not yet committed by this stage (consumer lag)")
                    .tags("stage", stage.name(), "topic", p.topic(), "partition", Integer.toString(p.partition()))
                    .register(registry);
            return value;
        });
    }

    /**
     * Forgets partitions this instance no longer owns, revoked or lost: their unfinished records (returns how
     * many), their pause, and their lag (the next owner reports it).
     */
    private int letGo(Collection<TopicPartition> partitions) {
        int abandoned = book.revoke(partitions);
        paused.removeAll(partitions);
        stats.rebalances.increment();
        for (TopicPartition tp : partitions) {
            committedOffsets.remove(tp);
            var gauge = lag.get(tp);
            if (gauge != null) {
                gauge.set(0);
            }
        }
        return abandoned;
    }

    /**
     * Pauses every partition while the buffer of waiting records is full, or while too much is held back
     * behind a slow record; polling goes on either way, so the group keeps this member.
     */
    private void adjustPause() {
        // A paused stage keeps one batch to probe with and fetches no more.
        boolean full = waiting.size() >= config.maxBuffered() || book.size() >= config.maxHeld()
                || (gate.isPaused() && !waiting.isEmpty());
        Set<TopicPartition> assigned = consumer.assignment();
        if (full) {
            List<TopicPartition> toPause = new ArrayList<>();
            for (TopicPartition tp : assigned) {
                if (paused.add(tp)) {
                    toPause.add(tp);
                }
            }
            if (!toPause.isEmpty()) {
                consumer.pause(toPause);
                stats.pauses.increment();
            }
        } else if (!paused.isEmpty()) {
            List<TopicPartition> toResume = paused.stream().filter(assigned::contains).toList();
            consumer.resume(toResume);
            paused.clear();
        }
    }

    /** Stops taking records, gives calls in flight the grace period, commits what finished. */
    private void drain() {
        waiting.clear();
        consumer.pause(consumer.assignment());
        log.info("{} stage stopping: {} calls in flight, waiting up to {} s", stage.name(), stats.inFlight.get(),
                config.drainGrace().toSeconds());
        while (stats.inFlight.get() > 0 && clock.millis() < stopDeadline) {
            pollFor(IDLE_POLL);
            settle(false);
        }
        settle(true);
        int abandoned = book.size();
        if (abandoned > 0) {
            log.info("{} stage: {} records not finished within the grace period are left to the next owner",
                    stage.name(), abandoned);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            settle(true);
            int abandoned = letGo(partitions);
            log.info("{} stage: partitions {} revoked; {} records not finished are left to their next owner",
                    stage.name(), partitions, abandoned);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            assigned = false;
            // The open transaction may hold outputs of the lost partitions: it must not commit.
            abortAndRewind();
            int abandoned = letGo(partitions);
            log.warn("{} stage: partitions {} lost; {} records not committed are left to their next owner",
                    stage.name(), partitions, abandoned);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            for (TopicPartition tp : partitions) {
                try {
                    committedOffsets.put(tp, consumer.position(tp));
                } catch (WakeupException e) {
                    throw e; // a call finished: poll() hands that on as usual
                } catch (KafkaException e) {
                    // Only the lag gauge needs it, and the first commit sets it: never fail the rebalance for it.
                    log.debug("{} stage: no position for {} yet: {}", stage.name(), tp, e.toString());
                }
            }
            assigned = true;
            log.info("{} stage: assigned {}", stage.name(), partitions);
        }
    }

    private static void sleepQuietly(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String rawKey(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /**
     * Stops fetching, lets the calls in flight finish within the grace period, commits, then closes the
     * clients. Blocks until done.
     */
    @Override
    public synchronized void close() {
        if (stopping) {
            awaitStopped();
            return;
        }
        stopDeadline = clock.millis() + config.drainGrace().toMillis();
        stopping = true;
        if (!started) {
            consumerMetrics.close();
            producerMetrics.close();
            consumer.close(Duration.ZERO);
            producer.close(Duration.ZERO);
            return;
        }
        consumer.wakeup();
        awaitStopped();
    }

    private void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A Kafka error after which this engine cannot go on (fenced by another instance, not authorized). */
    public static final class FatalKafkaException extends KafkaException {
        FatalKafkaException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
