package io.travelart.image.batch;

import com.openai.models.batches.Batch;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.PromptCreated;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Asks about an open batch and, when it has ended, answers each of its requests ({@link BatchResults}) in one
 * transaction with the batch's {@link BatchRecord#DONE}, after reading the batches topic up to its end (a batch another
 * owner answered is not answered twice). A batch that failed because the Batch API refuses its model puts its requests
 * back on the pending topic instead, in the same way, for the fallback ({@link ModelRefusal}).
 */
final class Completion {

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
    private final Consumer<byte[], byte[]> range;
    private final Time time;

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
        this.range = clients.range();
        this.time = time;
    }

    /** Asks about an open batch; when it has ended, answers its requests. Throws when that fails (tried again later). */
    void check(BatchRecord record) {
        open.checked(record.batchId());
        Batch batch = calls.watched(() -> api.retrieve(record.batchId()));
        String status = batch.status().asString();
        if (!ENDED.contains(status) || !open.stillOpen(record.batchId())) {
            return;
        }
        Optional<String> refused = ModelRefusal.of(batch);
        if (refused.isPresent()) {
            refusal.refused(refused.get(), time.instant());
            requeue(record, status);
        } else {
            complete(record, batch, status);
        }
    }

    private void complete(BatchRecord record, Batch batch, String status) {
        Map<String, BatchResults.Request> requests = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> origin : read(record)) {
            try {
                PromptCreated input = serde.deserialize(origin.value(), PromptCreated.class);
                requests.putIfAbsent(input.getRequestId(), new BatchResults.Request(origin, input));
            } catch (DecodeException e) {
                // answered as an INGEST failure when the batch was submitted
            }
        }
        BatchResults.Answered answered = results.answer(record, batch, status, requests, time.instant());
        done(record, record.done(status, answered.ready(), answered.failed(), answered.cost()), answered.outputs(), List.of());
        log.info("batch lane: {} {}: {} ready, {} failed, ${} estimated", record.batchId(), status, answered.ready(),
                answered.failed(), String.format(Locale.ROOT, "%.4f", answered.cost()));
    }

    /** The requests of a batch failed on its model go back to the pending topic, with their headers, to wait again. */
    private void requeue(BatchRecord record, String status) {
        List<ProducerRecord<String, byte[]>> again = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> origin : read(record)) {
            again.add(new ProducerRecord<>(config.pendingTopic(), null,
                    origin.key() == null ? null : new String(origin.key(), StandardCharsets.UTF_8), origin.value(), origin.headers()));
        }
        done(record, record.done(status, 0, 0, 0), List.of(), again);
        log.info("batch lane: {} failed on its model; its {} requests wait again", record.batchId(), again.size());
    }

    /** Commits the batch's DONE with what answers it, and the pending offsets as they stand. */
    private void done(BatchRecord record, BatchRecord done, List<io.travelart.core.engine.Output.Send> outputs,
                      List<ProducerRecord<String, byte[]>> others) {
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>(others);
        records.add(new ProducerRecord<>(config.batchesTopic(), record.batchId(), done.toJson()));
        TopicPartition tp = new TopicPartition(config.pendingTopic(), record.partition());
        // The pending offsets as they stand: the commit fails if this instance no longer owns the partition.
        OffsetAndMetadata committed = pending.committed(Set.of(tp)).get(tp);
        transactions.commit(outputs, records, committed == null ? Map.of() : Map.of(tp, committed), pending.groupMetadata());
        open.done(record.batchId());
    }

    /** The pending records a batch holds, read again by offset (for 30 s at most). */
    private List<ConsumerRecord<byte[], byte[]>> read(BatchRecord batch) {
        TopicPartition tp = new TopicPartition(config.pendingTopic(), batch.partition());
        range.assign(List.of(tp));
        range.seek(tp, batch.firstOffset());
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        long deadline = time.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (range.position(tp) <= batch.lastOffset()) {
            if (time.nanoTime() > deadline) {
                throw new IllegalStateException("the pending records " + tp + " " + batch.firstOffset() + "-" + batch.lastOffset()
                        + " could not be read within 30 s");
            }
            for (ConsumerRecord<byte[], byte[]> record : range.poll(Duration.ofMillis(200))) {
                if (record.offset() <= batch.lastOffset()) {
                    records.add(record);
                }
            }
        }
        return records;
    }
}
