package io.travelart.image.batch;

import com.openai.models.batches.Batch;
import io.micrometer.core.instrument.Gauge;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EngineClients;
import io.travelart.core.engine.StageGate;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.PromptCreated;
import io.travelart.image.ImageLinks;
import io.travelart.image.ImageSize;
import io.travelart.image.ImageStore;
import io.travelart.image.OpenAiImageGenerator;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The image stage's batch lane. The stage hands requests of priority {@code batch} to the pending topic at
 * once (their input offsets are not held); the lane reads them (its own consumer group), gathers them per
 * pending partition up to {@code TRAVELART_BATCH_MAX_REQUESTS} or {@code TRAVELART_BATCH_MAX_AGE}, and submits
 * each group as one batch of the provider's Batch API, each line's {@code custom_id} its request id.
 *
 * <p>Nothing is paid twice: a batch carries a submission id made of its pending partition and first offset
 * in its metadata, and before submitting the lane asks the provider for a batch with that id, so a lane that
 * died between creating a batch and recording it adopts that batch. The record ({@link BatchRecord#OPEN},
 * on the compacted batches topic) is committed in one transaction with the pending offsets it consumes.
 * The lane owning a pending partition polls that partition's open batches; when one ends, {@link BatchResults}
 * streams its files, stores each image (one HEAD first: an image stored already is not stored again) and makes
 * each request's image-ready or request-failed, written with the batch's {@link BatchRecord#DONE} in one transaction.
 * A restarted or replacing instance reads the batches topic and waits for the open ones.
 */
public final class BatchLane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchLane.class);
    /** The lane's name beside the image stage's, in its gate's log lines, metrics and readiness reason. */
    public static final String STAGE = "IMAGE-BATCH";

    /**
     * What the lane needs of the image stage: how it draws, stores and links an image, and the lane's gate. A failure
     * of the worker met by the lane (the key refused, or without the Batch API's scope; the model gone; the account out
     * of credit) pauses the lane as the stage's gate pauses the stage: it asks the provider nothing but its probes, one
     * call at a time, backing off, until one goes through; readiness says why meanwhile.
     */
    public record Drawing(OpenAiImageGenerator generator, String model, ImageSize defaultSize, String defaultQuality,
                          ImageStore store, ImageLinks links, StageGate gate) {

        /** The size a request asks for, or the image stage's default. */
        ImageSize size(PromptCreated input) {
            String size = input.getRequest().getImageSize();
            return size == null || size.isBlank() ? defaultSize : ImageSize.parse(size).orElse(defaultSize);
        }

        /** The quality a request asks for, or the image stage's default. */
        String quality(PromptCreated input) {
            String quality = input.getRequest().getQuality();
            return quality == null || quality.isBlank() ? defaultQuality : quality.strip();
        }
    }

    private final BatchLaneConfig config;
    private final EventSerde serde;
    private final OpenAiBatches api;
    private final Drawing drawing;
    private final BatchResults results;
    private final Time time;
    private final KafkaConsumer<String, byte[]> pending;
    private final KafkaConsumer<String, byte[]> batches;
    private final KafkaConsumer<String, byte[]> range;
    private final KafkaProducer<String, byte[]> producer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Why the lane's thread ended on an error; null while it runs or after a close. */
    private volatile String stopped;

    private final Map<TopicPartition, List<ConsumerRecord<String, byte[]>>> waiting = new HashMap<>();
    private final Map<TopicPartition, Instant> waitingSince = new HashMap<>();
    private final Map<String, BatchRecord> open = new ConcurrentHashMap<>();
    private final Map<String, Instant> nextCheck = new HashMap<>();
    private final Set<Integer> owned = new HashSet<>();
    /** Batches this lane finished whose DONE record it has not read back yet: a late OPEN record must not reopen them. */
    private final Set<String> finished = new HashSet<>();
    private volatile int waitingCount;
    private volatile Instant oldestWaiting;

    public BatchLane(BatchLaneConfig config, KafkaConfig kafka, String instanceId, String imageReadyTopic, String failedTopic,
                     EventSerde serde, OpenAiBatches api, Drawing drawing, WorkerMetrics metrics, Time time) {
        this.config = config;
        this.serde = serde;
        this.api = api;
        this.drawing = drawing;
        this.results = new BatchResults(api, drawing, serde, metrics, imageReadyTopic, failedTopic);
        this.time = time;
        String client = "image-worker-batch-" + instanceId;
        this.pending = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "travelart-image-worker-batch",
                ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instanceId + "-batch",
                ConsumerConfig.CLIENT_ID_CONFIG, client + "-pending",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new ByteArrayDeserializer());
        this.batches = reader(kafka, client + "-batches");
        this.range = reader(kafka, client + "-range");
        this.producer = new KafkaProducer<>(EngineClients.producerSettings(kafka, client, instanceId + "-image-batch"),
                new StringSerializer(), new ByteArraySerializer());
        Gauge.builder("travelart.batch.waiting", () -> waitingCount)
                .description("Requests in the batch lane not yet in a batch").register(metrics.registry());
        Gauge.builder("travelart.batch.waiting.oldest", () -> age(oldestWaiting)).baseUnit("seconds")
                .description("How long the oldest request not yet in a batch has waited").register(metrics.registry());
        Gauge.builder("travelart.batch.open", open::size)
                .description("Batches submitted and not yet answered").register(metrics.registry());
        Gauge.builder("travelart.batch.open.oldest", () -> age(open.values().stream().map(b -> Instant.ofEpochMilli(b.submittedAtMs()))
                        .min(Instant::compareTo).orElse(null))).baseUnit("seconds")
                .description("How long the oldest open batch has been open").register(metrics.registry());
        this.thread = new Thread(this::run, "image-batch-lane");
        this.thread.setDaemon(true);
    }

    private static KafkaConsumer<String, byte[]> reader(KafkaConfig kafka, String clientId) {
        return new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.CLIENT_ID_CONFIG, clientId,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed")), new StringDeserializer(), new ByteArrayDeserializer());
    }

    private double age(Instant since) {
        return since == null ? 0 : Math.max(0, Duration.between(since, time.instant()).toMillis() / 1000.0);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        try {
            producer.initTransactions();
            log.info("batch lane: reading {} (batches of at most {}, or {} old), asking about open batches every {}",
                    config.pendingTopic(), config.maxRequests(), config.maxAge(), config.pollInterval());
            List<TopicPartition> all = new ArrayList<>();
            batches.partitionsFor(config.batchesTopic()).forEach(p -> all.add(new TopicPartition(p.topic(), p.partition())));
            batches.assign(all);
            batches.seekToBeginning(all);
            pending.subscribe(List.of(config.pendingTopic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!partitions.isEmpty()) {
                        log.info("batch lane: pending partitions {} revoked", partitions);
                    }
                    partitions.forEach(tp -> {
                        waiting.remove(tp);
                        waitingSince.remove(tp);
                        owned.remove(tp.partition());
                    });
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    log.info("batch lane: pending partitions {} assigned", partitions);
                    partitions.forEach(tp -> owned.add(tp.partition()));
                }
            });
            while (running.get()) {
                turn();
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException | Error e) {
            // An Error too (a batch file larger than the heap before files were streamed): said, never a silent end.
            log.error("the batch lane stopped: {}", e.toString(), e);
            stopped = e.getClass().getSimpleName();
        } finally {
            // The clients are closed by the thread that used them: Kafka's clients are not for two threads at once.
            // A static member stays in the group on close unless told: hand the pending partitions on now.
            pending.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                    .withTimeout(Duration.ofSeconds(2)));
            batches.close(Duration.ofSeconds(2));
            range.close(Duration.ofSeconds(2));
            producer.close(Duration.ofSeconds(2));
        }
    }

    private void turn() {
        readBatches(Duration.ZERO);
        for (ConsumerRecord<String, byte[]> record : pending.poll(Duration.ofMillis(200))) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            waiting.computeIfAbsent(tp, k -> new ArrayList<>()).add(record);
            waitingSince.putIfAbsent(tp, time.instant());
        }
        Instant now = time.instant();
        for (TopicPartition tp : new ArrayList<>(waiting.keySet())) {
            List<ConsumerRecord<String, byte[]>> records = waiting.get(tp);
            if (!records.isEmpty() && (records.size() >= config.maxRequests()
                    || !waitingSince.get(tp).plus(config.maxAge()).isAfter(now)) && admitted(() -> submit(tp, records))) {
                break; // one submission as the paused gate's probe; the others wait for its answer
            }
        }
        holdFull();
        waitingCount = waiting.values().stream().mapToInt(List::size).sum();
        oldestWaiting = waitingSince.values().stream().min(Instant::compareTo).orElse(null);
        for (BatchRecord batch : List.copyOf(open.values())) {
            if (owned.contains(batch.partition()) && !nextCheck.getOrDefault(batch.batchId(), Instant.EPOCH).isAfter(now)
                    && admitted(() -> check(batch))) {
                break;
            }
        }
    }

    /**
     * Runs a call to the provider if the stage's gate lets it: always while the stage runs; while it is paused, only
     * when the gate picks it as its probe. Returns whether it ran as the probe (then nothing else calls this turn).
     */
    private boolean admitted(Runnable call) {
        StageGate gate = drawing.gate();
        if (!gate.admit()) {
            return false;
        }
        boolean probe = gate.isPaused();
        try {
            call.run();
        } finally {
            if (probe) {
                gate.probeDone();
            }
        }
        return probe;
    }

    /** A provider call through the stage's gate: its success opens a paused gate, a failure of the worker pauses it. */
    private <T> T watched(java.util.concurrent.Callable<T> call) {
        try {
            return drawing.gate().watch(OpenAiErrors.INSTANCE::classify, call);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Takes no more of a pending partition that holds a full batch already: while submissions fail (the provider
     * down, the key refused) what waits stays within one batch per partition instead of growing with the topic.
     */
    private void holdFull() {
        Set<TopicPartition> assigned = pending.assignment();
        List<TopicPartition> full = new ArrayList<>();
        List<TopicPartition> room = new ArrayList<>();
        for (TopicPartition tp : assigned) {
            (waiting.getOrDefault(tp, List.of()).size() >= config.maxRequests() ? full : room).add(tp);
        }
        pending.pause(full);
        room.retainAll(pending.paused());
        pending.resume(room);
    }

    /** Reads what the batches topic says: OPEN batches to wait for, DONE ones to forget. */
    private void readBatches(Duration timeout) {
        for (ConsumerRecord<String, byte[]> record : batches.poll(timeout)) {
            if (record.value() == null) {
                continue;
            }
            BatchRecord batch;
            try {
                batch = BatchRecord.fromJson(record.value());
            } catch (RuntimeException e) {
                // Someone else's record, or a broken one: skipped, never a lane that stops at every start.
                log.warn("batch lane: skipped an unreadable record of {} at {}-{}@{}: {}", config.batchesTopic(), record.topic(),
                        record.partition(), record.offset(), e.getMessage());
                continue;
            }
            if (batch.batchId() == null || batch.state() == null) {
                log.warn("batch lane: skipped a record of {} without batch id or state at offset {}", config.batchesTopic(),
                        record.offset());
                continue;
            }
            if (BatchRecord.DONE.equals(batch.state())) {
                open.remove(batch.batchId());
                nextCheck.remove(batch.batchId());
                finished.remove(batch.batchId());
            } else if (!finished.contains(batch.batchId())) {
                open.putIfAbsent(batch.batchId(), batch);
            }
        }
    }

    /**
     * Reads the batches topic up to its last committed record: a batch another owner finished (its DONE written
     * with its results) is then known, and not answered twice.
     */
    private boolean caughtUp(String batchId) {
        Map<TopicPartition, Long> ends = batches.endOffsets(batches.assignment());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (ends.entrySet().stream().anyMatch(e -> batches.position(e.getKey()) < e.getValue())) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            readBatches(Duration.ofMillis(100));
        }
        return open.containsKey(batchId);
    }

    /**
     * Submits the first records waiting in a partition as one batch (or adopts the one submitted before a crash). A
     * record that is not a prompt-created (nobody but the image stage should write this topic) is answered at once, as
     * one INGEST failure in the transaction that takes its offset, and is not drawn.
     */
    private void submit(TopicPartition tp, List<ConsumerRecord<String, byte[]>> records) {
        List<ConsumerRecord<String, byte[]>> group = records.subList(0, Math.min(records.size(), config.maxRequests()));
        long first = group.get(0).offset();
        String submission = tp + "@" + first;
        try {
            // custom_id is unique in a batch: a request replayed while it waited is drawn once.
            Map<String, PromptCreated> inputs = new LinkedHashMap<>();
            Map<ConsumerRecord<String, byte[]>, String> undecodable = new LinkedHashMap<>();
            for (ConsumerRecord<String, byte[]> record : group) {
                try {
                    PromptCreated input = serde.deserialize(record.value(), PromptCreated.class);
                    inputs.putIfAbsent(input.getRequestId(), input);
                } catch (DecodeException e) {
                    undecodable.put(record, e.getMessage());
                }
            }
            Optional<Batch> earlier = watched(() -> api.find(submission));
            String batchId = null;
            long last;
            if (earlier.isPresent()) {
                batchId = earlier.get().id();
                last = OpenAiBatches.lastOffset(earlier.get());
                log.info("batch lane: {} was submitted before as {}; waiting for it instead of paying again", submission, batchId);
            } else {
                last = group.get(group.size() - 1).offset();
                if (!inputs.isEmpty()) {
                    List<String> lines = inputs.values().stream().map(input -> OpenAiBatches.line(input.getRequestId(),
                            drawing.generator().params(input.getRequestId(), input.getPrompt(), drawing.size(input),
                                    drawing.quality(input)))).toList();
                    long upTo = last;
                    batchId = watched(() -> api.create(submission, upTo, lines)).id();
                    log.info("batch lane: submitted {} ({} requests, {} offsets {}-{})", batchId, lines.size(), tp, first, last);
                }
            }
            long lastOffset = last;
            Instant now = time.instant();
            producer.beginTransaction();
            for (Map.Entry<ConsumerRecord<String, byte[]>, String> refused : undecodable.entrySet()) {
                ConsumerRecord<String, byte[]> record = refused.getKey();
                if (record.offset() <= lastOffset) {
                    log.warn("batch lane: undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                            refused.getValue());
                    producer.send(results.ingestFailure(record, refused.getValue(), now));
                }
            }
            BatchRecord batch = null;
            if (batchId != null) {
                int count = (int) group.stream().filter(r -> r.offset() <= lastOffset && !undecodable.containsKey(r)).count();
                batch = BatchRecord.open(batchId, submission, tp.partition(), first, last, count, now.toEpochMilli());
                producer.send(new ProducerRecord<>(config.batchesTopic(), batchId, batch.toJson()));
            }
            producer.sendOffsetsToTransaction(Map.of(tp, new OffsetAndMetadata(last + 1)), pending.groupMetadata());
            producer.commitTransaction();
            records.removeIf(r -> r.offset() <= lastOffset);
            if (records.isEmpty()) {
                waitingSince.remove(tp);
            } else {
                waitingSince.put(tp, time.instant());
            }
            if (batch != null) {
                open.put(batchId, batch);
                nextCheck.put(batchId, time.instant().plus(config.pollInterval()));
            }
        } catch (RuntimeException e) {
            abortQuietly();
            // Nothing was recorded: the same records are submitted (or the batch found) on a later turn.
            log.warn("batch lane: submitting {} failed, trying again later: {}", submission, e.toString());
            waitingSince.put(tp, time.instant().minus(config.maxAge()).plusSeconds(5));
        }
    }

    /** Asks about an open batch; when it has ended, answers each of its requests. */
    private void check(BatchRecord record) {
        nextCheck.put(record.batchId(), time.instant().plus(config.pollInterval()));
        try {
            Batch batch = watched(() -> api.retrieve(record.batchId()));
            String status = batch.status().asString();
            if (!List.of("completed", "expired", "cancelled", "failed").contains(status)) {
                return;
            }
            if (caughtUp(record.batchId())) {
                complete(record, batch, status);
            }
        } catch (RuntimeException e) {
            abortQuietly();
            log.warn("batch lane: finishing {} failed, trying again later: {}", record.batchId(), e.toString());
        }
    }

    /** Answers every request of an ended batch ({@link BatchResults}), with the batch marked done, in one transaction. */
    private void complete(BatchRecord record, Batch batch, String status) {
        Map<String, BatchResults.Request> requests = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> origin : read(record)) {
            PromptCreated input;
            try {
                input = serde.deserialize(origin.value(), PromptCreated.class);
            } catch (DecodeException e) {
                continue; // answered as an INGEST failure when the batch was submitted
            }
            requests.putIfAbsent(input.getRequestId(), new BatchResults.Request(origin, input));
        }
        Instant now = time.instant();
        BatchResults.Answered answered = results.answer(record, batch, status, requests, now);
        producer.beginTransaction();
        answered.records().forEach(producer::send);
        producer.send(new ProducerRecord<>(config.batchesTopic(), record.batchId(),
                record.done(status, answered.ready(), answered.failed(), answered.cost()).toJson()));
        TopicPartition tp = new TopicPartition(config.pendingTopic(), record.partition());
        // The pending offsets as they stand: the commit fails if this instance no longer owns the partition.
        OffsetAndMetadata committed = pending.committed(Set.of(tp)).get(tp);
        if (committed != null) {
            producer.sendOffsetsToTransaction(Map.of(tp, committed), pending.groupMetadata());
        }
        producer.commitTransaction();
        open.remove(record.batchId());
        nextCheck.remove(record.batchId());
        finished.add(record.batchId());
        log.info("batch lane: {} {}: {} ready, {} failed, ${} estimated", record.batchId(), status, answered.ready(),
                answered.failed(), String.format(java.util.Locale.ROOT, "%.4f", answered.cost()));
    }

    /** The pending records a batch holds, read again by offset. */
    private List<ConsumerRecord<String, byte[]>> read(BatchRecord batch) {
        TopicPartition tp = new TopicPartition(config.pendingTopic(), batch.partition());
        range.assign(List.of(tp));
        range.seek(tp, batch.firstOffset());
        List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (range.position(tp) <= batch.lastOffset()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the pending records " + tp + " " + batch.firstOffset() + "-" + batch.lastOffset()
                        + " could not be read within 30 s");
            }
            for (ConsumerRecord<String, byte[]> record : range.poll(Duration.ofMillis(200))) {
                if (record.offset() <= batch.lastOffset()) {
                    records.add(record);
                }
            }
        }
        return records;
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // no transaction open, or the producer is fenced: nothing to undo
        }
    }

    /** Why the lane is not working, for readiness: its thread ended on an error (the log says which). */
    public Optional<String> stoppedReason() {
        return stopped == null ? Optional.empty() : Optional.of("the batch lane has stopped on " + stopped + " (the log says why)");
    }

    @Override
    public void close() {
        running.set(false);
        pending.wakeup();
        try {
            // A turn ends within a poll or one API call; the lane's thread then closes its clients.
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            log.warn("the batch lane did not stop within 30 s; leaving it to the JVM's exit");
        }
    }
}
