package io.travelart.core.engine;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The partitions this instance owns, as its group hands them over: a partition taken over starts from what its last
 * commit says (the committed offset and the offsets answered beyond it), one revoked is committed first and then let
 * go, one lost is let go without committing (the open transaction may hold its outputs, so it is aborted). Runs on the
 * loop's thread, inside {@code poll}, as Kafka calls a rebalance listener.
 */
final class Ownership implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(Ownership.class);

    /** What the engine does around a change of ownership. */
    interface Engine {
        /** Sends and commits what is answered, now. */
        void settleNow();

        /** Aborts the open transaction and reads every partition again from its committed offset. */
        void abortAndRewind();

        /** The loop stopped on an error: nothing more is committed. */
        boolean failed();
    }

    private final String stage;
    private final Consumer<byte[], byte[]> consumer;
    private final OffsetBook<?> book;
    private final LagGauges lag;
    private final PartitionPauser pauser;
    private final EngineStats stats;
    private final Engine engine;
    /** Whether the group has given this member its assignment (possibly empty) and not taken it back. */
    private volatile boolean assigned;

    Ownership(String stage, Consumer<byte[], byte[]> consumer, OffsetBook<?> book, LagGauges lag, PartitionPauser pauser,
              EngineStats stats, Engine engine) {
        this.stage = stage;
        this.consumer = consumer;
        this.book = book;
        this.lag = lag;
        this.pauser = pauser;
        this.stats = stats;
        this.engine = engine;
    }

    boolean isAssigned() {
        return assigned;
    }

    /** The member has left its group (closed): it owns nothing. */
    void left() {
        assigned = false;
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        if (engine.failed()) {
            // Closing after an error: nothing is committed; the open transaction is aborted with the producer.
            letGo(partitions);
            return;
        }
        engine.settleNow();
        int abandoned = letGo(partitions);
        log.info("{} stage: partitions {} revoked; {} records not answered are left to their next owner", stage, partitions, abandoned);
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        assigned = false;
        // The open transaction may hold outputs of the lost partitions: it must not commit.
        engine.abortAndRewind();
        int abandoned = letGo(partitions);
        log.warn("{} stage: partitions {} lost; {} records not committed are left to their next owner", stage, partitions, abandoned);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        takeOver(partitions);
        assigned = true;
        log.info("{} stage: assigned {}", stage, partitions);
    }

    /**
     * Reads what the partitions' last commit says (the committed offset, and the offsets answered beyond it
     * in its metadata) into the book: this instance must not answer again what the last owner answered.
     */
    void takeOver(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> committed = committedUninterrupted(new HashSet<>(partitions));
        for (TopicPartition tp : partitions) {
            OffsetAndMetadata last = committed.get(tp);
            book.assign(tp, last);
            if (last != null) {
                lag.committed(tp, last.offset());
            }
        }
    }

    /**
     * The committed offsets, read whole even if a call ends meanwhile: its wakeup would cut the read short and
     * leave the book without what was answered (in a broker-restart test, one request was answered twice).
     * The wakeup is handed on to poll(), which it was meant for.
     */
    private Map<TopicPartition, OffsetAndMetadata> committedUninterrupted(Set<TopicPartition> partitions) {
        boolean woken = false;
        try {
            while (true) {
                try {
                    return consumer.committed(partitions);
                } catch (WakeupException e) {
                    woken = true;
                }
            }
        } finally {
            if (woken) {
                consumer.wakeup();
            }
        }
    }

    /** Forgets partitions this instance no longer owns, revoked or lost; returns how many of their records were left unanswered. */
    private int letGo(Collection<TopicPartition> partitions) {
        int abandoned = book.revoke(partitions);
        pauser.forget(partitions);
        lag.forget(partitions);
        stats.rebalances.increment();
        return abandoned;
    }
}
