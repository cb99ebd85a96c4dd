package io.travelart.image.batch;

import io.travelart.core.engine.EngineStats;
import io.travelart.core.engine.Output;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Everything the lane writes, in one transaction per step: the outputs of a group or a batch, its own records (a
 * batch opened or done, requests put back), and the pending offsets they take. Outputs are counted in the stage's
 * meters ({@code travelart.records.published}, {@code travelart.requests.failed}, stage {@code IMAGE-BATCH}) once the
 * transaction has committed.
 */
final class LaneTransactions {

    private final Producer<String, byte[]> producer;
    private final EngineStats stats;

    LaneTransactions(Producer<String, byte[]> producer, EngineStats stats) {
        this.producer = producer;
        this.stats = stats;
    }

    void init() {
        producer.initTransactions();
    }

    /**
     * Sends the outputs and records with the offsets, and commits. On a failure the transaction is aborted (nothing of it
     * is read) and the failure thrown: the step is taken again on a later turn.
     *
     * @param offsets the pending offsets the step takes; empty for none
     */
    void commit(List<Output.Send> outputs, List<ProducerRecord<String, byte[]>> records, Map<TopicPartition, OffsetAndMetadata> offsets,
                ConsumerGroupMetadata group) {
        commit(outputs, sink -> records.forEach(sink), offsets, group);
    }

    /**
     * The same, with the lane's own records handed to a sink as they are made (requests put back, read one at a time):
     * the producer's buffer ({@code buffer.memory}) bounds what is held, not the number of records.
     */
    void commit(List<Output.Send> outputs, Consumer<Consumer<ProducerRecord<String, byte[]>>> records,
                Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        try {
            producer.beginTransaction();
            outputs.forEach(output -> producer.send(output.record()));
            records.accept(producer::send);
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
            producer.commitTransaction();
        } catch (RuntimeException e) {
            abortQuietly();
            throw e;
        }
        stats.committed(outputs);
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // no transaction open, or the producer is fenced: nothing to undo
        }
    }

    /**
     * A producer fenced by a newer one with the same transactional id: this lane is a zombie (another instance took its
     * id), and it stops instead of trying again; readiness then says so.
     */
    static void rethrowIfFenced(RuntimeException e) {
        if (e instanceof ProducerFencedException || e instanceof InvalidProducerEpochException) {
            throw e;
        }
    }

    /** An output that cannot be published at all (the registry away for a new schema): the step is taken again later. */
    static Output.Send sendable(Output output) {
        return switch (output) {
            case Output.Send send -> send;
            case Output.Unpublishable(String reason) -> throw new IllegalStateException(reason);
        };
    }
}
