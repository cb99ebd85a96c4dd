package io.travelart.core.engine;

import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The producer's side of the engine: one Kafka transaction at a time, opened by the first record sent,
 * committed with the consumed offsets, or aborted. A commit runs on the {@code committer}, so that the
 * loop goes on polling and starting calls while the broker commits (nothing is sent meanwhile: what
 * finishes waits for the next transaction). Errors after which no transaction can follow (fenced by
 * another instance with the same id, not authorized) become {@link FatalKafkaException}; others leave the
 * caller to abort and read again. All methods but the commit's own work run on the loop thread.
 */
final class TransactionalOutput {

    private static final Logger log = LoggerFactory.getLogger(TransactionalOutput.class);

    private final Producer<String, byte[]> producer;
    private final String transactionalId;
    private final String stageName;
    private final Time time;
    private final EngineStats stats;
    private final Executor committer;
    private boolean open;
    private long openedAt;
    private long sentPublished;
    /** request-failed events sent in the open transaction, by error code. */
    private final java.util.Map<String, Integer> sentFailures = new java.util.HashMap<>();
    /** The commit in flight, if any; {@code open} stays true until it is {@link #endCommit ended}. */
    private CompletableFuture<Long> commit;

    /**
     * @param committer where commits run: a thread of their own in a worker, the loop's own thread in tests
     *                  ({@code Runnable::run}), which makes every commit synchronous
     */
    TransactionalOutput(Producer<String, byte[]> producer, String transactionalId, String stageName, Time time, EngineStats stats,
                        Executor committer) {
        this.producer = producer;
        this.transactionalId = transactionalId;
        this.stageName = stageName;
        this.time = time;
        this.stats = stats;
        this.committer = committer;
    }

    void init() {
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            throw fatalOrSelf(e);
        }
    }

    /** A transaction is open: records were sent in it and it has not committed yet. */
    boolean isOpen() {
        return open;
    }

    /** A commit was started and not yet {@link #endCommit ended}. */
    boolean isCommitting() {
        return commit != null;
    }

    /** How long the open transaction has been open, in nanoseconds; 0 when none is. */
    long openNanos() {
        return open ? time.nanoTime() - openedAt : 0;
    }

    /** Sends a record in the open transaction, opening one if needed; never while a commit is in flight. */
    void send(Output.Send output) {
        if (commit != null) {
            throw new IllegalStateException("sending while a commit is in flight");
        }
        if (!open) {
            producer.beginTransaction();
            open = true;
            openedAt = time.nanoTime();
        }
        if (output.passed()) {
            return; // only its offset, which the commit carries
        }
        producer.send(output.record());
        if (output.failed()) {
            sentFailures.merge(output.failureCode(), 1, Integer::sum);
        } else {
            sentPublished++;
        }
    }

    /**
     * Starts committing the open transaction with the offsets; {@code done} runs when the commit has ended,
     * either way, on the committer. A commit that times out (a broker restarting) is retried until
     * {@code giveUp} says so: it may have gone through, and repeating it is safe.
     */
    void startCommit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group, BooleanSupplier giveUp,
                     Runnable done) {
        long began = time.nanoTime();
        commit = CompletableFuture.supplyAsync(() -> {
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            while (true) {
                try {
                    producer.commitTransaction();
                    return time.nanoTime() - began;
                } catch (TimeoutException e) {
                    if (giveUp.getAsBoolean()) {
                        throw new FatalKafkaException("committing timed out while stopping: " + e.getMessage(), e);
                    }
                    log.warn("{} stage: committing timed out, trying again: {}", stageName, e.getMessage());
                }
            }
        }, committer);
        commit.whenComplete((took, error) -> done.run());
    }

    /**
     * Takes the commit in flight once it has ended (waiting for that if {@code wait}): true when it
     * committed (the transaction is closed); false while it runs, or when none was started. A commit that
     * failed throws its error; the caller aborts.
     */
    boolean endCommit(boolean wait) {
        if (commit == null || !wait && !commit.isDone()) {
            return false;
        }
        try {
            commit.join();
        } catch (CompletionException | CancellationException e) {
            // settleCommit() throws the commit's own error
        }
        return settleCommit();
    }

    private boolean settleCommit() {
        CompletableFuture<Long> ended = commit;
        commit = null;
        long took;
        try {
            took = ended.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof KafkaException kafka) {
                throw kafka;
            }
            throw e;
        }
        open = false;
        stats.published.increment(sentPublished);
        sentFailures.forEach((code, n) -> {
            stats.failed.increment(n);
            stats.failures(code).increment(n);
        });
        sentPublished = 0;
        sentFailures.clear();
        stats.transactions.record(took, TimeUnit.NANOSECONDS);
        return true;
    }

    /** Aborts the open transaction, if any: nothing it holds is ever read by {@code read_committed} readers. */
    void abort() {
        if (commit != null) {
            throw new IllegalStateException("aborting while a commit is in flight");
        }
        sentPublished = 0;
        sentFailures.clear();
        if (!open) {
            return;
        }
        open = false;
        try {
            producer.abortTransaction();
        } catch (KafkaException e) {
            throw new FatalKafkaException("cannot abort the transaction: " + e.getMessage(), e);
        }
    }

    /** The error as a {@link FatalKafkaException} when no transaction can follow it, else itself. */
    KafkaException fatalOrSelf(KafkaException e) {
        if (e instanceof FatalKafkaException) {
            return e;
        }
        if (e instanceof ProducerFencedException
                || e instanceof FencedInstanceIdException || e instanceof OutOfOrderSequenceException
                || e instanceof AuthorizationException || e instanceof AuthenticationException
                || e instanceof UnsupportedVersionException) {
            return new FatalKafkaException(transactionalId + ": " + e.getMessage()
                    + (e instanceof ProducerFencedException ? " (is another instance running with the same TRAVELART_INSTANCE_ID?)" : ""), e);
        }
        return e;
    }
}
