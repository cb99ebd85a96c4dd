package io.travelart.image.batch;

import com.openai.models.batches.Batch;
import io.travelart.core.engine.Output;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Asks about an open batch and, when it has ended, answers its requests a chunk per turn ({@link Answering}), each chunk
 * in one transaction with the batch's {@link BatchRecord#ANSWERING} (the last with its {@link BatchRecord#DONE}), after
 * reading the batches topic up to its end (a batch another owner answered is not answered twice, one it answered part
 * of is answered from there). A batch that failed because the Batch API refuses its model puts its requests back on the
 * pending topic instead, in one transaction, for the fallback ({@link ModelRefusal}).
 */
final class Completion implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Completion.class);
    private static final List<String> ENDED = List.of("completed", "expired", "cancelled", "failed");

    private final BatchLaneConfig config;
    private final BatchService api;
    private final BatchResults results;
    private final ModelRefusal refusal;
    private final OpenBatches open;
    private final EventSerde serde;
    private final LaneTransactions transactions;
    private final LaneCalls calls;
    private final Consumer<byte[], byte[]> pending;
    private final PendingReader reader;
    private final Time time;
    /** The ended batch being answered, a chunk per turn; null when none is. */
    private Answering answering;

    Completion(BatchLaneConfig config, BatchService api, BatchResults results, ModelRefusal refusal, OpenBatches open,
               EventSerde serde, LaneTransactions transactions, LaneCalls calls, LaneClients clients, Time time) {
        this.config = config;
        this.api = api;
        this.results = results;
        this.refusal = refusal;
        this.open = open;
        this.serde = serde;
        this.transactions = transactions;
        this.calls = calls;
        this.pending = clients.pending();
        this.reader = new PendingReader(clients.range(), config.pendingTopic(), time);
        this.time = time;
    }

    /** Whether an ended batch is being answered: the lane then gives its turns to it before asking about others. */
    boolean isAnswering() {
        return answering != null;
    }

    /**
     * Asks about an open batch; when it has ended, begins answering it (or puts its requests back when its model was
     * refused). Throws when that fails (tried again later).
     */
    void check(BatchRecord record) {
        open.checked(record.batchId());
        Batch batch = calls.watched(() -> api.retrieve(record.batchId()));
        String status = batch.status().asString();
        if (!ENDED.contains(status) || !open.stillOpen(record.batchId())) {
            return;
        }
        // Read to the topic's end: where this batch's answering got to, if another lane (or this one) began it.
        BatchRecord latest = open.latest(record.batchId());
        Optional<String> refused = ModelRefusal.of(batch);
        if (refused.isPresent() && !BatchRecord.ANSWERING.equals(latest.state())) {
            refusal.refused(refused.get(), time.instant());
            requeue(latest, status);
            return;
        }
        answering = new Answering(latest, batch, status, RequestIndex.of(latest, reader, serde), reader, results, serde,
                fileId -> calls.watched(() -> api.open(fileId)), config.answerChunk(), time);
        log.info("batch lane: {} {}: answering its {} requests, {} lines at a time{}", latest.batchId(), status,
                answering.requests(), config.answerChunk(), answering.resumed()
                        ? ", from where a lane got to before (" + latest.outputLines() + " output and " + latest.errorLines()
                        + " error lines read)" : "");
    }

    /** Answers the next chunk of the batch being answered. Throws when that fails: it is begun again from its last record. */
    void answer() {
        Answering batch = answering;
        try {
            Answering.Chunk chunk = batch.next();
            if (chunk.unreadable() > 0) {
                log.warn("batch lane: {} lines of {}'s files were unreadable or over {} bytes; their requests end without a "
                        + "line", chunk.unreadable(), batch.batchId(), OpenAiBatches.MAX_LINE_BYTES);
            }
            write(chunk.record(), chunk.outputs(), sink -> { });
            if (chunk.done()) {
                BatchRecord done = chunk.record();
                log.info("batch lane: {} {}: {} ready, {} failed, ${} estimated", done.batchId(), done.status(), done.ready(),
                        done.failed(), String.format(Locale.ROOT, "%.4f", done.costUsd()));
                open.done(done.batchId());
                close();
            } else {
                open.answered(chunk.record());
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The requests of a batch failed on its model go back to the pending topic, with their headers, to wait again. */
    private void requeue(BatchRecord record, String status) {
        int[] count = {0};
        write(record.done(status, 0, 0, 0), List.of(), sink -> reader.forEach(record, origin -> {
            sink.accept(new ProducerRecord<>(config.pendingTopic(), null,
                    origin.key() == null ? null : new String(origin.key(), StandardCharsets.UTF_8), origin.value(), origin.headers()));
            count[0]++;
        }));
        reader.forget();
        open.done(record.batchId());
        log.info("batch lane: {} failed on its model; its {} requests wait again", record.batchId(), count[0]);
    }

    /** Commits the batch's record with what answers it, and the pending offsets as they stand. */
    private void write(BatchRecord next, List<Output.Send> outputs, java.util.function.Consumer<java.util.function.Consumer<
            ProducerRecord<String, byte[]>>> others) {
        TopicPartition tp = new TopicPartition(config.pendingTopic(), next.partition());
        // The pending offsets as they stand: the commit fails if this instance no longer owns the partition.
        OffsetAndMetadata committed = pending.committed(Set.of(tp)).get(tp);
        transactions.commit(outputs, sink -> {
            others.accept(sink);
            sink.accept(new ProducerRecord<>(config.batchesTopic(), next.batchId(), next.toJson()));
        }, committed == null ? Map.of() : Map.of(tp, committed), pending.groupMetadata());
    }

    /** Pending partitions no longer the lane's: a batch of theirs being answered is left to their next owner. */
    void revoke(Collection<TopicPartition> partitions) {
        if (answering != null && partitions.stream().anyMatch(tp -> tp.partition() == answering.partition())) {
            log.info("batch lane: {} is answered by the next owner of its pending partition, from where this lane got to",
                    answering.batchId());
            close();
        }
    }

    @Override
    public void close() {
        if (answering != null) {
            answering.close();
            answering = null;
        }
    }
}
