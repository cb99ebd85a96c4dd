package io.travelart.image.batch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.time.Time;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The batches submitted and not yet answered, as the compacted batches topic says ({@link BatchRecord#OPEN},
 * {@link BatchRecord#ANSWERING} and {@link BatchRecord#DONE} records, read from its beginning at start), and when each is next asked about. A record
 * that cannot be read (someone else's, or broken) is skipped with a warning, never a lane that stops at every start.
 */
final class OpenBatches {

    private static final Logger log = LoggerFactory.getLogger(OpenBatches.class);

    private final Consumer<String, byte[]> reader;
    private final String topic;
    private final Duration pollInterval;
    private final Time time;
    private final Counter skipped;
    private final Map<String, BatchRecord> open = new ConcurrentHashMap<>();
    private final Map<String, Instant> nextCheck = new HashMap<>();
    /** Batches this lane finished whose DONE record it has not read back yet: a late OPEN record must not reopen them. */
    private final Set<String> finished = new HashSet<>();

    OpenBatches(Consumer<String, byte[]> reader, String topic, Duration pollInterval, Time time, MeterRegistry registry) {
        this.skipped = Counter.builder("travelart.batch.records.skipped")
                .description("Records of the batches topic that could not be read, skipped").register(registry);
        this.reader = reader;
        this.topic = topic;
        this.pollInterval = pollInterval;
        this.time = time;
    }

    /** Reads the topic from its beginning (it has one partition: its records are few and compacted). */
    void start() {
        List<TopicPartition> all = new ArrayList<>();
        reader.partitionsFor(topic).forEach(p -> all.add(new TopicPartition(p.topic(), p.partition())));
        reader.assign(all);
        reader.seekToBeginning(all);
    }

    /** Reads what the topic says: OPEN batches to wait for, DONE ones to forget. */
    void read(Duration timeout) {
        for (ConsumerRecord<String, byte[]> record : reader.poll(timeout)) {
            if (record.value() == null) {
                continue;
            }
            BatchRecord batch;
            try {
                batch = BatchRecord.fromJson(record.value());
            } catch (RuntimeException e) {
                log.warn("batch lane: skipped an unreadable record of {} at {}-{}@{}: {}", topic, record.topic(), record.partition(),
                        record.offset(), e.getMessage());
                skipped.increment();
                continue;
            }
            if (batch.batchId() == null || batch.state() == null) {
                log.warn("batch lane: skipped a record of {} without batch id or state at offset {}", topic, record.offset());
                skipped.increment();
                continue;
            }
            if (BatchRecord.DONE.equals(batch.state())) {
                open.remove(batch.batchId());
                nextCheck.remove(batch.batchId());
                finished.remove(batch.batchId());
            } else if (!finished.contains(batch.batchId())) {
                open.put(batch.batchId(), batch); // OPEN, then ANSWERING as its answers are written: the last one says where it is
            }
        }
    }

    /**
     * Reads the topic up to its last committed record (for 10 s at most): a batch another owner finished (its DONE
     * written with its results) is then known, and not answered twice. Whether the batch is still open.
     */
    boolean stillOpen(String batchId) {
        Map<TopicPartition, Long> ends = reader.endOffsets(reader.assignment());
        long deadline = time.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ends.entrySet().stream().anyMatch(e -> reader.position(e.getKey()) < e.getValue())) {
            if (time.nanoTime() > deadline) {
                return false;
            }
            read(Duration.ofMillis(100));
        }
        return open.containsKey(batchId);
    }

    /** The open batches of these pending partitions due to be asked about now. */
    List<BatchRecord> due(Set<Integer> partitions, Instant now) {
        return open.values().stream().filter(b -> partitions.contains(b.partition())
                && !nextCheck.getOrDefault(b.batchId(), Instant.EPOCH).isAfter(now)).toList();
    }

    /** A batch just submitted (and recorded): first asked about one poll interval from now. */
    void opened(BatchRecord batch) {
        open.put(batch.batchId(), batch);
        checked(batch.batchId());
    }

    /** A batch asked about: next asked one poll interval from now. */
    void checked(String batchId) {
        nextCheck.put(batchId, time.instant().plus(pollInterval));
    }

    /** The batch's latest record: where its answering got to, if it has begun. */
    BatchRecord latest(String batchId) {
        return open.get(batchId);
    }

    /** A chunk of a batch's answers committed with this record. */
    void answered(BatchRecord record) {
        open.put(record.batchId(), record);
    }

    /** A batch this lane answered (its DONE committed). */
    void done(String batchId) {
        open.remove(batchId);
        nextCheck.remove(batchId);
        finished.add(batchId);
    }

    /** Open batches, for the {@code travelart.batch.open} gauge (any thread). */
    int size() {
        return open.size();
    }

    /** When the oldest open batch was submitted; null when none is open (any thread). */
    Instant oldestSubmitted() {
        return open.values().stream().map(b -> Instant.ofEpochMilli(b.submittedAtMs())).min(Instant::compareTo).orElse(null);
    }
}
