package io.travelart.core.engine;

import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Runs one {@link Stage} between Kafka topics: the loop that polls, hands records to call slots
 * ({@link CallDispatcher}), sends each result as soon as its call ends ({@link TransactionalOutput}), and
 * commits. Every consumed record ends as exactly one event in what {@code read_committed} readers see: the
 * stage's output or a {@code RequestFailed}.
 *
 * <ul>
 *   <li>Up to {@code maxInFlight} records are worked on at once, whatever the partition count.</li>
 *   <li>Results go out in the order calls end. A partition's committed offset stays at its first
 *       unanswered record, and the answered ones beyond it travel in the commit's metadata, in the same
 *       transaction as their outputs ({@link OffsetBook}); whoever reads the partition next skips them.</li>
 *   <li>A commit runs on a thread of its own: the loop goes on polling and starting calls meanwhile, and
 *       what finishes goes into the next transaction.</li>
 *   <li>When enough records wait, the engine pauses its partitions but keeps polling, so slow calls
 *       never exceed {@code max.poll.interval.ms}.</li>
 *   <li>On rebalance, what is answered is committed, and the revoked partitions' other records are
 *       abandoned to their next owner. After an aborted transaction, every partition is read again from
 *       its committed offset.</li>
 *   <li>{@link #close()} drains: no new records, in-flight calls get {@code drainGrace} to finish, what
 *       finished is committed, the rest is left for the next owner.</li>
 * </ul>
 */
public final class StageEngine<I extends SpecificRecord, O extends SpecificRecord> implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StageEngine.class);
    private static final Duration IDLE_POLL = Duration.ofMillis(100);
    private static final Duration UNPUBLISHABLE_PAUSE = Duration.ofSeconds(1);

    /**
     * What a stage reads and writes, and how much it takes at once.
     *
     * @param maxBuffered      records kept waiting for a call slot before partitions are paused: enough that
     *                         calls keep starting while the loop thread commits
     * @param commitInterval   the longest a transaction stays open while results keep coming; when they stop
     *                         coming, it commits at once
     * @param drainGrace       how long {@link #close()} waits for calls in flight
     * @param maxMetadataBytes the broker's {@code offset.metadata.max.bytes}, which the answered offsets in a
     *                         commit's metadata must fit
     */
    public record Config(List<String> inputTopics, String outputTopic, String failedTopic, int maxInFlight, int maxBuffered,
                         Duration commitInterval, Duration drainGrace, int maxMetadataBytes) {

        /** Records held (waiting, in flight, or answered beyond a slower one) before partitions are paused. */
        int maxHeld() {
            return 2 * maxBuffered + 8 * maxInFlight;
        }
    }

    private final Stage<I, O> stage;
    private final Config config;
    private final EngineClients clients;
    private final Consumer<byte[], byte[]> consumer;
    private final Time time;
    private final StageGate gate;
    private final EngineStats stats;
    private final OffsetBook<Output.Send> book;
    private final CallDispatcher<I, O> dispatcher;
    private final TransactionalOutput output;
    private final LagGauges lag;
    private final PartitionPauser pauser;
    private final Executor committer;
    /** What the commit in flight (or the last one) commits, for the book and the lag once it has. */
    private Map<TopicPartition, OffsetAndMetadata> committing = Map.of();
    private final CountDownLatch stopped = new CountDownLatch(1);
    final Ownership rebalance;
    private volatile boolean stopping;
    private volatile boolean started;
    /** The loop stopped on an error: closing commits nothing more. */
    private volatile boolean failed;
    private volatile long stopDeadline;
    private boolean lastPollEmpty;

    /**
     * @param gate     says whether records may start: a stage paused by a failure of the worker starts none, and
     *                 keeps the records whose calls failed that way instead of publishing failures
     * @param cancellations the requests someone cancelled: each ends as a {@code CANCELLED} failure before its call starts
     * @param registry where the engine's meters go
     */
    public StageEngine(Stage<I, O> stage, Config config, EngineClients clients, EventSerde serde, Time time, StageGate gate,
                       Cancellations cancellations, MeterRegistry registry) {
        this(stage, config, clients, serde, time, gate, cancellations, registry, Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, stage.name().toLowerCase(Locale.ROOT) + "-commit");
            thread.setDaemon(true);
            return thread;
        }));
    }

    /** @param committer where commits run while the loop goes on ({@code Runnable::run} commits on the loop thread) */
    StageEngine(Stage<I, O> stage, Config config, EngineClients clients, EventSerde serde, Time time, StageGate gate,
                Cancellations cancellations, MeterRegistry registry, Executor committer) {
        this.stage = stage;
        this.committer = committer;
        this.config = config;
        this.clients = clients;
        this.consumer = clients.consumer();
        this.time = time;
        this.gate = gate;
        this.stats = new EngineStats(registry, stage.name());
        this.book = new OffsetBook<>(config.maxMetadataBytes());
        var outputs = new OutputRecords(stage.name(), config.outputTopic(), config.failedTopic(), serde);
        this.dispatcher = new CallDispatcher<>(stage, cancellations, serde, outputs, gate, time, config.maxInFlight(), stats, consumer::wakeup);
        this.output = new TransactionalOutput(clients.producer(), clients.transactionalId(), stage.name(), time, stats, committer);
        this.lag = new LagGauges(registry, stage.name(), time);
        this.pauser = new PartitionPauser(stats);
        this.rebalance = new Ownership(stage.name(), consumer, book, lag, pauser, stats, new Ownership.Engine() {
            @Override
            public void settleNow() {
                settle(true);
            }

            @Override
            public void abortAndRewind() {
                StageEngine.this.abortAndRewind();
            }

            @Override
            public boolean failed() {
                return failed;
            }
        });
    }

    /** Ready to work: a member of its group with its assignment (which may be empty when instances outnumber partitions). */
    public boolean isAssigned() {
        return rebalance.isAssigned();
    }

    public EngineStats stats() {
        return stats;
    }

    @Override
    public void run() {
        started = true;
        Throwable cause = null;
        try {
            open();
            while (!stopping) {
                turn();
            }
            drain();
        } catch (RuntimeException | Error e) {
            cause = e;
            failed = true;
            throw e;
        } finally {
            shut(cause);
        }
    }

    void open() {
        output.init();
        consumer.subscribe(config.inputTopics(), rebalance);
        log.info("{} stage reading {} (max in flight {})", stage.name(), String.join(", ", config.inputTopics()), config.maxInFlight());
    }

    /** One turn of the loop: take records, start calls, send and commit results, pause or resume, report lag. */
    void turn() {
        poll(pollTimeout());
        dispatcher.startWaiting();
        settle(false);
        boolean full = dispatcher.waiting() >= config.maxBuffered() || book.size() >= config.maxHeld()
                // A paused stage keeps what it holds to probe with and fetches no more.
                || (gate.isPaused() && dispatcher.waiting() > 0);
        pauser.adjust(consumer, full);
        lag.refresh(consumer);
    }

    private Duration pollTimeout() {
        if (dispatcher.hasFinished()) {
            return Duration.ZERO; // results to send already: look for records, but do not wait for them
        }
        if (output.isCommitting()) {
            return IDLE_POLL; // the end of the commit wakes the loop
        }
        if (output.isOpen()) {
            // No longer than until the open transaction is due to commit.
            long due = config.commitInterval().toNanos() - output.openNanos();
            return Duration.ofNanos(Math.max(0, Math.min(due, IDLE_POLL.toNanos())));
        }
        return IDLE_POLL;
    }

    private void poll(Duration timeout) {
        dispatcher.armWakeup();
        try {
            var records = consumer.poll(timeout);
            stats.polls.increment();
            lastPollEmpty = records.isEmpty();
            for (ConsumerRecord<byte[], byte[]> record : records) {
                stats.consumed.increment();
                TopicPartition tp = new TopicPartition(record.topic(), record.partition());
                if (!book.isAssigned(tp)) {
                    // Only if the assignment callback was cut short: without the last commit's metadata, answered records would be answered again.
                    log.warn("{} stage: records of {} before its last commit was read; reading it now", stage.name(), tp);
                    rebalance.takeOver(List.of(tp));
                }
                lag.read(tp, record.offset());
                var ticket = book.add(tp, record.offset());
                if (ticket.isAnswered()) {
                    log.debug("{}-{}@{} was answered before: skipped", record.topic(), record.partition(), record.offset());
                } else {
                    dispatcher.offer(record, ticket);
                }
            }
        } catch (WakeupException e) {
            // A call finished: its result is waiting to be sent. This poll brought nothing.
            lastPollEmpty = true;
        }
    }

    /**
     * Sends what finished in the open transaction, and commits it with the consumed offsets when asked to,
     * when nothing more is coming right now, or when it has been open for the commit interval.
     */
    private void settle(boolean commitNow) {
        String unpublishable = null;
        for (CallDispatcher.Finished finished : dispatcher.takeFinished()) {
            switch (finished.output()) {
                case Output.Send send -> book.finish(finished.ticket(), send);
                case Output.Unpublishable(String reason) when !finished.ticket().isStale() -> unpublishable = reason;
                case Output.Unpublishable stale -> {
                    // a record of a revoked partition: its next owner answers it
                }
            }
        }
        if (unpublishable != null) {
            // Nothing is skipped: every uncommitted record is read and worked on again, after a pause.
            log.warn("{} stage: a result could not be published ({}); reading uncommitted records again in {} s", stage.name(),
                    unpublishable, UNPUBLISHABLE_PAUSE.toSeconds());
            abortAndRewind();
            pause(UNPUBLISHABLE_PAUSE);
            return;
        }
        try {
            if (output.isCommitting()) {
                if (!output.endCommit(commitNow)) {
                    return; // still committing: what finished goes into the next transaction
                }
                committed();
            }
            book.takeReady().forEach(output::send);
            boolean quiet = lastPollEmpty && !dispatcher.hasFinished() && dispatcher.waiting() == 0 && stats.inFlight() == 0;
            if (output.isOpen() && (commitNow || quiet || output.openNanos() >= config.commitInterval().toNanos())) {
                committing = book.commitOffsets();
                output.startCommit(committing, consumer.groupMetadata(), () -> stopping && time.nanoTime() - stopDeadline > 0,
                        consumer::wakeup);
                if (output.endCommit(commitNow)) {
                    committed();
                }
            }
        } catch (KafkaException e) {
            KafkaException fatal = output.fatalOrSelf(e);
            if (fatal instanceof FatalKafkaException) {
                throw fatal;
            }
            log.warn("{} stage: transaction aborted ({}); reading uncommitted records again", stage.name(), e.toString());
            abortAndRewind();
        }
    }

    /** The commit of {@link #committing} has gone through. */
    private void committed() {
        book.committed();
        committing.forEach((tp, offset) -> lag.committed(tp, offset.offset()));
    }

    /** Aborts the open transaction and reads every partition again from its committed offset; calls still running are abandoned. */
    private void abortAndRewind() {
        try {
            if (output.endCommit(true)) {
                committed();
            }
        } catch (KafkaException e) {
            // That commit failed: what it held is aborted with the rest, below.
        }
        output.abort();
        Set<TopicPartition> assignment = consumer.assignment();
        book.rewind().forEach((tp, offset) -> {
            if (assignment.contains(tp)) {
                consumer.seek(tp, offset);
            }
        });
        dispatcher.clearWaiting();
    }

    /** Stops taking records, gives calls in flight the grace period, commits what finished. */
    void drain() {
        dispatcher.stop();
        consumer.pause(consumer.assignment());
        log.info("{} stage stopping: {} calls in flight, waiting up to {} s", stage.name(), stats.inFlight(),
                config.drainGrace().toSeconds());
        while (stats.inFlight() > 0 && time.nanoTime() - stopDeadline < 0) {
            poll(IDLE_POLL);
            settle(false);
        }
        settle(true);
        int abandoned = book.unanswered();
        if (abandoned > 0) {
            log.info("{} stage: {} records not finished within the grace period are left to the next owner",
                    stage.name(), abandoned);
        }
    }

    private void pause(Duration duration) {
        try {
            time.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
        stop();
        if (!started) {
            clients.close(Duration.ZERO, false);
            return;
        }
        consumer.wakeup();
        awaitStopped();
    }

    /** The loop ends at its next turn, and the drain that follows waits for calls until the grace period is over. */
    void stop() {
        stopDeadline = time.nanoTime() + config.drainGrace().toNanos();
        stopping = true;
    }

    /** Closes the clients, leaving the group. */
    void shut() {
        shut(null);
    }

    /**
     * Closes the clients, leaving the group, then the committer (closing the consumer revokes its partitions,
     * and a normal revocation commits). When {@code cause} stopped the engine, it stays the error: a failure to
     * close is added to it as suppressed, never thrown in its place.
     */
    private void shut(Throwable cause) {
        try {
            clients.close(Duration.ofSeconds(5), true);
        } catch (RuntimeException e) {
            if (cause == null) {
                throw e;
            }
            cause.addSuppressed(e);
        } finally {
            if (committer instanceof ExecutorService service) {
                service.shutdown();
            }
            rebalance.left();
            stopped.countDown();
        }
    }

    private void awaitStopped() {
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
