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
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The producer's side of the engine: one Kafka transaction at a time, opened by the first record sent,
 * committed with the consumed offsets, or aborted. Errors after which no transaction can follow (fenced
 * by another instance with the same id, not authorized) become {@link FatalKafkaException}; others leave
 * the caller to abort and read again.
 */
final class TransactionalOutput {

    private static final Logger log = LoggerFactory.getLogger(TransactionalOutput.class);

    private final Producer<String, byte[]> producer;
    private final String transactionalId;
    private final String stageName;
    private final Time time;
    private final EngineStats stats;
    private boolean open;
    private long openedAt;
    private long sentPublished;
    private long sentFailed;

    TransactionalOutput(Producer<String, byte[]> producer, String transactionalId, String stageName, Time time, EngineStats stats) {
        this.producer = producer;
        this.transactionalId = transactionalId;
        this.stageName = stageName;
        this.time = time;
        this.stats = stats;
    }

    void init() {
        try {
            producer.initTransactions();
        } catch (KafkaException e) {
            throw fatalOrSelf(e);
        }
    }

    boolean isOpen() {
        return open;
    }

    /** How long the open transaction has been open, in nanoseconds; 0 when none is. */
    long openNanos() {
        return open ? time.nanoTime() - openedAt : 0;
    }

    /** Sends a record in the open transaction, opening one if needed. */
    void send(Output.Send output) {
        if (!open) {
            producer.beginTransaction();
            open = true;
            openedAt = time.nanoTime();
        }
        producer.send(output.record());
        if (output.failed()) {
            sentFailed++;
        } else {
            sentPublished++;
        }
    }

    /**
     * Commits the open transaction with the offsets. A commit that times out (a broker restarting) is
     * retried until {@code giveUp} says so: it may have gone through, and repeating it is safe.
     */
    void commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group, BooleanSupplier giveUp) {
        long began = time.nanoTime();
        if (!offsets.isEmpty()) {
            producer.sendOffsetsToTransaction(offsets, group);
        }
        while (true) {
            try {
                producer.commitTransaction();
                break;
            } catch (TimeoutException e) {
                if (giveUp.getAsBoolean()) {
                    throw new FatalKafkaException("committing timed out while stopping: " + e.getMessage(), e);
                }
                log.warn("{} stage: committing timed out, trying again: {}", stageName, e.getMessage());
            }
        }
        open = false;
        stats.published.increment(sentPublished);
        stats.failed.increment(sentFailed);
        sentPublished = 0;
        sentFailed = 0;
        stats.transactions.record(time.nanoTime() - began, TimeUnit.NANOSECONDS);
    }

    /** Aborts the open transaction, if any: nothing it holds is ever read by {@code read_committed} readers. */
    void abort() {
        sentPublished = 0;
        sentFailed = 0;
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
