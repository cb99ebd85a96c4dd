package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.core.ObjectMappers;
import com.openai.models.batches.Batch;
import com.openai.models.images.ImagesResponse;
import io.micrometer.core.instrument.Gauge;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EngineClients;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.engine.FailureEvents;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.openai.ImageModels;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.RequestBounds;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageFormat;
import io.travelart.image.ImageLinks;
import io.travelart.image.ImageSize;
import io.travelart.image.ImageStore;
import io.travelart.image.OpenAiImageGenerator;
import io.travelart.image.ReadyEvents;
import io.travelart.image.StoredImage;
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
 * The lane owning a pending partition polls that partition's open batches; when one ends it downloads the
 * output, stores each image (one HEAD first: an image stored already is not stored again), and writes each
 * request's image-ready or request-failed with the batch's {@link BatchRecord#DONE} in one transaction.
 * A restarted or replacing instance reads the batches topic and waits for the open ones.
 */
public final class BatchLane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchLane.class);
    /** The image stage's CloudEvents source: a batch result is the image stage's answer as much as an interactive one. */
    private static final String SOURCE = "/travelart/" + StageNames.IMAGE.toLowerCase(java.util.Locale.ROOT);
    private static final EventHeaders.Template READY_HEADERS = new EventHeaders.Template(ImageReady.getClassSchema().getFullName(), SOURCE);
    private static final EventHeaders.Template FAILED_HEADERS = new EventHeaders.Template(RequestFailed.getClassSchema().getFullName(), SOURCE);

    /** What the lane needs of the image stage: how it draws, stores and links an image. */
    public record Drawing(OpenAiImageGenerator generator, String model, ImageSize defaultSize, String defaultQuality,
                          ImageStore store, ImageLinks links) {
    }

    private final BatchLaneConfig config;
    private final String imageReadyTopic;
    private final String failedTopic;
    private final EventSerde serde;
    private final OpenAiBatches api;
    private final Drawing drawing;
    private final WorkerMetrics metrics;
    private final Time time;
    private final KafkaConsumer<String, byte[]> pending;
    private final KafkaConsumer<String, byte[]> batches;
    private final KafkaConsumer<String, byte[]> range;
    private final KafkaProducer<String, byte[]> producer;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);

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
        this.imageReadyTopic = imageReadyTopic;
        this.failedTopic = failedTopic;
        this.serde = serde;
        this.api = api;
        this.drawing = drawing;
        this.metrics = metrics;
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
                    || !waitingSince.get(tp).plus(config.maxAge()).isAfter(now))) {
                submit(tp, records);
            }
        }
        holdFull();
        waitingCount = waiting.values().stream().mapToInt(List::size).sum();
        oldestWaiting = waitingSince.values().stream().min(Instant::compareTo).orElse(null);
        for (BatchRecord batch : List.copyOf(open.values())) {
            if (owned.contains(batch.partition()) && !nextCheck.getOrDefault(batch.batchId(), Instant.EPOCH).isAfter(now)) {
                check(batch);
            }
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
            Map<String, String> lines = new LinkedHashMap<>();
            List<ConsumerRecord<String, byte[]>> undecodable = new ArrayList<>();
            Map<ConsumerRecord<String, byte[]>, String> reasons = new HashMap<>();
            for (ConsumerRecord<String, byte[]> record : group) {
                PromptCreated input;
                try {
                    input = serde.deserialize(record.value(), PromptCreated.class);
                } catch (DecodeException e) {
                    undecodable.add(record);
                    reasons.put(record, e.getMessage());
                    continue;
                }
                // custom_id is unique in a batch: a request replayed while it waited is drawn once.
                lines.putIfAbsent(input.getRequestId(), OpenAiBatches.line(input.getRequestId(),
                        drawing.generator().params(input.getRequestId(), input.getPrompt(), size(input), quality(input))));
            }
            Optional<Batch> earlier = api.find(submission);
            String batchId = null;
            long last;
            if (earlier.isPresent()) {
                batchId = earlier.get().id();
                last = OpenAiBatches.lastOffset(earlier.get());
                log.info("batch lane: {} was submitted before as {}; waiting for it instead of paying again", submission, batchId);
            } else {
                last = group.get(group.size() - 1).offset();
                if (!lines.isEmpty()) {
                    batchId = api.create(submission, last, List.copyOf(lines.values())).id();
                    log.info("batch lane: submitted {} ({} requests, {} offsets {}-{})", batchId, lines.size(), tp, first, last);
                }
            }
            long lastOffset = last;
            Instant now = time.instant();
            producer.beginTransaction();
            for (ConsumerRecord<String, byte[]> record : undecodable) {
                if (record.offset() <= lastOffset) {
                    log.warn("batch lane: undecodable record {}-{}@{}: {}", record.topic(), record.partition(), record.offset(),
                            reasons.get(record));
                    producer.send(ingestFailure(record, reasons.get(record), now));
                }
            }
            BatchRecord batch = null;
            if (batchId != null) {
                int count = (int) group.stream().filter(r -> r.offset() <= lastOffset && !reasons.containsKey(r)).count();
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

    /** The one INGEST failure of a pending record that is not a prompt-created; it keeps its key, cut to a key's length. */
    private ProducerRecord<String, byte[]> ingestFailure(ConsumerRecord<String, byte[]> record, String reason, Instant now) {
        String key = FailureEvents.cut(record.key(), RequestBounds.REQUEST_ID_MAX);
        RequestFailed event = FailureEvents.of(bytes(record), StageNames.INGEST, Failure.permanent(ErrorCodes.INGEST, reason),
                null, null, now, now);
        return new ProducerRecord<>(failedTopic, null, key, serde.serialize(failedTopic, event),
                FAILED_HEADERS.forOutput(record.headers(), key, now));
    }

    /** Asks about an open batch; when it has ended, answers each of its requests. */
    private void check(BatchRecord record) {
        nextCheck.put(record.batchId(), time.instant().plus(config.pollInterval()));
        try {
            Batch batch = api.retrieve(record.batchId());
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

    /**
     * Answers every request of an ended batch: the output file's lines, then the error file's, each streamed one
     * line at a time (a line holds one image: only one is in memory), then whatever has no line. What is kept per
     * request is its small pending record and its result event, never an image.
     */
    private void complete(BatchRecord record, Batch batch, String status) {
        Map<String, ConsumerRecord<String, byte[]>> origins = new LinkedHashMap<>();
        Map<String, PromptCreated> inputs = new HashMap<>();
        List<ProducerRecord<String, byte[]>> results = new ArrayList<>();
        Instant now = time.instant();
        int failed = 0;
        for (ConsumerRecord<String, byte[]> origin : read(record)) {
            PromptCreated input;
            try {
                input = serde.deserialize(origin.value(), PromptCreated.class);
            } catch (DecodeException e) {
                continue; // answered as an INGEST failure when the batch was submitted
            }
            if (origins.putIfAbsent(input.getRequestId(), origin) == null) {
                inputs.put(input.getRequestId(), input);
            }
        }
        Map<String, Outcome> outcomes = new HashMap<>();
        int skipped = api.forEachLine(batch.outputFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            PromptCreated input = inputs.get(requestId);
            if (input != null && !outcomes.containsKey(requestId)) {
                outcomes.put(requestId, line.path("response").path("status_code").asInt() == 200
                        ? draw(input, line.path("response").path("body"), now)
                        : new Outcome(null, failure(line, status), 0));
            }
        });
        skipped += api.forEachLine(batch.errorFileId(), line -> {
            String requestId = line.path("custom_id").asText();
            if (inputs.containsKey(requestId) && !outcomes.containsKey(requestId)) {
                outcomes.put(requestId, new Outcome(null, failure(line, status), 0));
            }
        });
        if (skipped > 0) {
            log.warn("batch lane: {} lines of {}'s files were unreadable or over {} bytes; their requests end without a result",
                    skipped, record.batchId(), OpenAiBatches.MAX_LINE_BYTES);
        }
        int ready = 0;
        double cost = 0;
        for (Map.Entry<String, ConsumerRecord<String, byte[]>> entry : origins.entrySet()) {
            String requestId = entry.getKey();
            PromptCreated input = inputs.get(requestId);
            Outcome outcome = outcomes.getOrDefault(requestId, new Outcome(null, failure(null, status), 0));
            // The request's trace goes on through the lane: the pending record carries the headers the stage forwarded.
            var origin = entry.getValue().headers();
            if (outcome.ready() != null) {
                ready++;
                cost += outcome.cost();
                results.add(new ProducerRecord<>(imageReadyTopic, null, requestId, serde.serialize(imageReadyTopic, outcome.ready()),
                        READY_HEADERS.forOutput(origin, requestId, now)));
            } else {
                failed++;
                RequestFailed event = FailureEvents.of(bytes(entry.getValue()), StageNames.IMAGE, outcome.failure(), requestId,
                        input.getRequest().getKeyword(), Instant.ofEpochMilli(record.submittedAtMs()), now);
                results.add(new ProducerRecord<>(failedTopic, null, requestId, serde.serialize(failedTopic, event),
                        FAILED_HEADERS.forOutput(origin, requestId, now)));
            }
        }
        producer.beginTransaction();
        results.forEach(producer::send);
        producer.send(new ProducerRecord<>(config.batchesTopic(), record.batchId(), record.done(status, ready, failed, cost).toJson()));
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
        log.info("batch lane: {} {}: {} ready, {} failed, ${} estimated", record.batchId(), status, ready, failed,
                String.format(java.util.Locale.ROOT, "%.4f", cost));
    }

    private record Outcome(ImageReady ready, Failure failure, double cost) {
    }

    /** A line's image, stored (or found stored) and described. */
    private Outcome draw(PromptCreated input, JsonNode body, Instant now) {
        GeneratedImage image;
        try {
            image = drawing.generator().image(ObjectMappers.jsonMapper().treeToValue(body, ImagesResponse.class));
        } catch (Exception e) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's answer holds no image: " + e), 0);
        }
        Optional<ImageFormat> format = ImageFormat.of(image.bytes());
        if (format.isEmpty()) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's bytes are not an image"), 0);
        }
        ImageSize size = size(input);
        if (format.get().width() != size.width() || format.get().height() != size.height()) {
            return new Outcome(null, Failure.retriable(ErrorCodes.INVALID_ANSWER, "the batch line's image is "
                    + format.get().width() + "x" + format.get().height() + ", not the " + size + " asked for"), 0);
        }
        StoredImage stored;
        try {
            Optional<StoredImage> existing = drawing.store().find(input.getRequestId());
            stored = existing.isPresent() ? existing.get() : drawing.store().put(input.getRequestId(), image.bytes(), format.get());
        } catch (Exception e) {
            throw new IllegalStateException("storing the image of " + input.getRequestId() + " failed: " + e.getMessage(), e);
        }
        double cost = metrics.tokens(StageNames.IMAGE, image.model(), image.usage(), WorkerMetrics.BATCH);
        metrics.image(image.model(), ImageModels.sizeTag(size.toString()), image.usage(), null);
        long latency = Duration.between(input.getCreatedAt(), now).toMillis();
        return new Outcome(ReadyEvents.of(input, stored, drawing.links().url(stored), image, image.model(),
                latency, now, Priorities.BATCH), null, cost);
    }

    private static Failure failure(JsonNode line, String status) {
        if (line == null) {
            return "completed".equals(status)
                    ? Failure.retriable(ErrorCodes.INVALID_ANSWER, "the completed batch has no line for this request")
                    : Failure.retriable(ErrorCodes.BATCH_EXPIRED, "the batch was " + status + " before this request ran");
        }
        if ("batch_expired".equals(line.path("error").path("code").asText())) {
            return Failure.retriable(ErrorCodes.BATCH_EXPIRED, "the batch expired before this request ran");
        }
        int code = line.path("response").path("status_code").asInt();
        JsonNode error = line.path("response").path("body").path("error");
        String message = error.path("message").asText(line.path("error").path("message").asText("the batch line failed"));
        if ("content_policy_violation".equals(error.path("code").asText())) {
            return Failure.permanent(ErrorCodes.CONTENT_POLICY, message);
        }
        if (code == 429) {
            return Failure.retriable(ErrorCodes.RATE_LIMITED, message);
        }
        if (code >= 500) {
            return Failure.retriable(ErrorCodes.UPSTREAM_5XX, message);
        }
        return Failure.permanent(ErrorCodes.UPSTREAM_4XX, "HTTP " + code + ": " + message);
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

    private static ConsumerRecord<byte[], byte[]> bytes(ConsumerRecord<String, byte[]> record) {
        ConsumerRecord<byte[], byte[]> copy = new ConsumerRecord<>(record.topic(), record.partition(), record.offset(),
                record.key() == null ? null : record.key().getBytes(java.nio.charset.StandardCharsets.UTF_8), record.value());
        record.headers().forEach(h -> copy.headers().add(h));
        return copy;
    }

    private ImageSize size(PromptCreated input) {
        String size = input.getRequest().getImageSize();
        return size == null || size.isBlank() ? drawing.defaultSize() : ImageSize.parse(size).orElse(drawing.defaultSize());
    }

    private String quality(PromptCreated input) {
        String quality = input.getRequest().getQuality();
        return quality == null || quality.isBlank() ? drawing.defaultQuality() : quality.strip();
    }

    private void abortQuietly() {
        try {
            producer.abortTransaction();
        } catch (RuntimeException ignored) {
            // no transaction open, or the producer is fenced: nothing to undo
        }
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
