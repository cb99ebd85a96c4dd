package io.travelart.image.batch;

import com.openai.models.batches.Batch;
import io.travelart.core.cancel.Cancellation;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Output;
import io.travelart.core.engine.OutputRecords;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.PromptCreated;
import io.travelart.image.ImageDefaults;
import io.travelart.image.ImageSize;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Submits a group of waiting requests as one batch, or adopts the batch submitted for it before a crash. Nothing is
 * paid twice: a batch carries a submission id made of its pending partition and first offset in its metadata, and
 * before submitting the lane asks the provider for a batch with that id. The batch's {@link BatchRecord#OPEN} is
 * committed in one transaction with the pending offsets it takes. A record that is not a prompt-created (nobody but the
 * image stage should write the pending topic) is not drawn: it is one INGEST failure in that transaction; nor is a request
 * cancelled while it waited: it is one CANCELLED failure there, and its place is marked answered in the OPEN record, so
 * that answering the batch does not take it for a line the provider lost.
 */
final class Submission {

    private static final Logger log = LoggerFactory.getLogger(Submission.class);

    /** What a submission took: the pending offsets up to {@code lastOffset}, in {@code batch} (empty: none drawable). */
    record Taken(long lastOffset, Optional<BatchRecord> batch) {
    }

    private final String batchesTopic;
    private final BatchService api;
    private final BatchLane.Drawing drawing;
    private final EventSerde serde;
    private final OutputRecords outputs;
    private final LaneTransactions transactions;
    private final LaneCalls calls;
    private final Time time;

    Submission(String batchesTopic, BatchService api, BatchLane.Drawing drawing, EventSerde serde, OutputRecords outputs,
               LaneTransactions transactions, LaneCalls calls, Time time) {
        this.batchesTopic = batchesTopic;
        this.api = api;
        this.drawing = drawing;
        this.serde = serde;
        this.outputs = outputs;
        this.transactions = transactions;
        this.calls = calls;
        this.time = time;
    }

    /** @param group the first records waiting in {@code tp}; throws when the provider or Kafka fails (nothing recorded) */
    Taken submit(TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> group, ConsumerGroupMetadata pendingGroup) {
        long first = group.get(0).offset();
        String submission = tp + "@" + first;
        // custom_id is unique in a batch: a request replayed while it waited is drawn once.
        Map<String, PromptCreated> inputs = new LinkedHashMap<>();
        Map<ConsumerRecord<byte[], byte[]>, String> undecodable = new LinkedHashMap<>();
        Map<PromptCreated, Cancellation> cancelled = new LinkedHashMap<>();
        Map<PromptCreated, ConsumerRecord<byte[], byte[]>> origins = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : group) {
            try {
                PromptCreated input = serde.deserialize(record.value(), PromptCreated.class);
                if (inputs.putIfAbsent(input.getRequestId(), input) == null) {
                    origins.put(input, record);
                }
            } catch (DecodeException e) {
                undecodable.put(record, e.getMessage());
            }
        }
        Optional<Batch> earlier = calls.watched(() -> api.find(submission));
        String batchId = null;
        long last;
        if (earlier.isPresent()) {
            batchId = earlier.get().id();
            last = OpenAiBatches.lastOffset(earlier.get());
            log.info("batch lane: {} was submitted before as {}; waiting for it instead of paying again", submission, batchId);
        } else {
            last = group.get(group.size() - 1).offset();
            // Cancelled while they waited: they go into no batch. (An adopted batch above holds them already: paid.)
            for (PromptCreated input : inputs.values()) {
                drawing.cancels().of(input.getRequestId()).ifPresent(cancel -> cancelled.put(input, cancel));
            }
            inputs.values().removeAll(cancelled.keySet());
            if (!inputs.isEmpty()) {
                List<String> lines = inputs.values().stream().map(this::line).toList();
                long upTo = last;
                batchId = calls.watched(() -> api.create(submission, upTo, lines)).id();
                log.info("batch lane: submitted {} ({} requests, {} offsets {}-{})", batchId, lines.size(), tp, first, last);
            }
        }
        long lastOffset = last;
        Instant now = time.instant();
        List<Output.Send> failures = new ArrayList<>();
        undecodable.forEach((record, reason) -> {
            if (record.offset() <= lastOffset) {
                log.warn("batch lane: undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(), reason);
                failures.add(LaneTransactions.sendable(outputs.unread(record, Failure.permanent(ErrorCodes.INGEST, reason), now)));
            }
        });
        BitSet ended = new BitSet();
        cancelled.forEach((input, cancel) -> {
            ConsumerRecord<byte[], byte[]> origin = origins.get(input);
            log.info("batch lane: request {} cancelled ({}); put in no batch", input.getRequestId(), cancel.describe());
            failures.add(LaneTransactions.sendable(outputs.of(origin, Outcome.failed(cancel.failure()),
                    new OutputRecords.Request(input.getRequestId(), input.getRequest().getKeyword(), now), now)));
            ended.set((int) (origin.offset() - first));
        });
        Optional<BatchRecord> batch = Optional.empty();
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        if (batchId != null) {
            int count = (int) group.stream().filter(r -> r.offset() <= lastOffset && !undecodable.containsKey(r)).count() - cancelled.size();
            batch = Optional.of(BatchRecord.open(batchId, submission, tp.partition(), first, last, count, ended, now.toEpochMilli()));
            records.add(new ProducerRecord<>(batchesTopic, batchId, batch.get().toJson()));
        }
        transactions.commit(failures, records, Map.of(tp, new OffsetAndMetadata(last + 1)), pendingGroup);
        return new Taken(last, batch);
    }

    /** A request's line of a batch file: the images request the lane's model is asked. */
    private String line(PromptCreated input) {
        ImageDefaults.Asked asked = drawing.defaults().ask(input, drawing.model());
        ImageSize size = asked.size() != null ? asked.size() : drawing.defaults().size();
        String quality = asked.quality() != null ? asked.quality() : drawing.defaults().quality();
        return OpenAiBatches.line(input.getRequestId(), drawing.lines().params(input.getRequestId(), input.getPrompt(), size, quality));
    }
}
