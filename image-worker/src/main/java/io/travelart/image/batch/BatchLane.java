package io.travelart.image.batch;

import io.micrometer.core.instrument.Gauge;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.engine.EngineStats;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.OutputRecords;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.StageNames;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.events.ImageReady;
import io.travelart.events.PromptCreated;
import io.travelart.image.ImageDefaults;
import io.travelart.image.ImageOutcomes;
import io.travelart.image.openai.OpenAiImageGenerator;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The image stage's batch lane. The stage hands requests of priority {@code batch} to the pending topic at once (their
 * input offsets are not held); the lane reads them (its own consumer group) and, one turn at a time on its own thread:
 * gathers them per pending partition ({@link Waiting}), submits each due group as one batch of the provider's Batch API
 * ({@link Submission}: nothing paid twice, a batch submitted before a crash is adopted), asks about the open batches of
 * the partitions it owns ({@link OpenBatches}) and answers each ended one, a chunk of its lines per turn
 * ({@link Completion}, {@link Answering}, {@link BatchResults}).
 * When the Batch API refuses the lane's model it submits nothing more and, after {@code TRAVELART_BATCH_FALLBACK_AFTER},
 * draws what waits in the interactive lane ({@link ModelRefusal}, {@link BatchFallback}). Calls to the provider go
 * through the lane's own gate ({@link LaneCalls}); everything it writes goes in transactions ({@link LaneTransactions}).
 */
public final class BatchLane implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(BatchLane.class);
    /** The lane's name beside the image stage's, in its gate's log lines, metrics and readiness reason. */
    /** The lane's consumer group, on the pending topic. */
    public static final String GROUP = "travelart-image-worker-batch";

    public static final String STAGE = "IMAGE-BATCH";

    /**
     * What the lane needs of the image stage.
     *
     * @param lines    builds a batch line's images request and reads its answer, for the lane's model
     * @param model    the model batches are drawn with ({@code TRAVELART_BATCH_IMAGE_MODEL}, by default the image model)
     * @param outcomes the image stage's find-or-check-and-store, which makes a line's image an image-ready
     * @param gate     the lane's gate ({@link #STAGE}): a key without the Batch API's scope pauses the lane, not the stage
     * @param errors   the classifier of the provider's errors, the stage's
     * @param drawNow  the image stage's interactive path, for the fallback when the Batch API refuses the model
     * @param cancels  the cancelled requests: one that waited for a batch goes into none (nor is drawn by the fallback)
     */
    public record Drawing(OpenAiImageGenerator lines, String model, ImageDefaults defaults, ImageOutcomes outcomes, StageGate gate,
                          ErrorClassifier errors, Function<PromptCreated, CompletableFuture<Outcome<ImageReady>>> drawNow,
                          Cancellations cancels) {
    }

    private final BatchLaneConfig config;
    private final Time time;
    private final LaneClients clients;
    private final LaneTransactions transactions;
    private final LaneCalls calls;
    private final Waiting waiting;
    private final OpenBatches open;
    private final ModelRefusal refusal;
    private final Submission submission;
    private final Completion completion;
    private final BatchFallback fallback;
    private final Set<Integer> owned = new HashSet<>();
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    /** Why the lane's thread ended on an error; null while it runs or after a close. */
    private volatile String stopped;

    /** The lane's transactional id: one per instance, under the image-worker's prefix ({@code travelart-image-worker-}). */
    public static String transactionalId(String instanceId) {
        return LaneClients.transactionalId(instanceId);
    }

    public BatchLane(BatchLaneConfig config, KafkaConfig kafka, String instanceId, String imageReadyTopic, String failedTopic,
                     EventSerde serde, OpenAiBatches api, Drawing drawing, WorkerMetrics metrics, Time time) {
        this(config, LaneClients.of(kafka, instanceId), imageReadyTopic, failedTopic, serde, api, drawing, metrics, time);
    }

    /** On the given clients: Kafka's mock clients in the lane's loop tests. */
    BatchLane(BatchLaneConfig config, LaneClients clients, String imageReadyTopic, String failedTopic, EventSerde serde,
              BatchService api, Drawing drawing, WorkerMetrics metrics, Time time) {
        this.config = config;
        this.time = time;
        this.clients = clients;
        // The image stage's output path: a batch answer has the headers, trace and failure events of an interactive one.
        OutputRecords outputs = new OutputRecords(StageNames.IMAGE, imageReadyTopic, failedTopic, serde);
        this.transactions = new LaneTransactions(clients.producer(), new EngineStats(metrics.registry(), STAGE));
        this.calls = new LaneCalls(drawing.gate(), drawing.errors());
        this.waiting = new Waiting(config.maxRequests(), config.maxAge());
        this.open = new OpenBatches(clients.batches(), config.batchesTopic(), config.pollInterval(), time, metrics.registry());
        this.refusal = new ModelRefusal(drawing.model(), config.fallbackAfter());
        this.submission = new Submission(config.batchesTopic(), api, drawing, serde, outputs, transactions, calls, time);
        this.completion = new Completion(config, api, new BatchResults(drawing, outputs, metrics), refusal, open, serde,
                transactions, calls, clients, time);
        this.fallback = new BatchFallback(serde, drawing, outputs, metrics);
        Gauge.builder("travelart.batch.waiting", waiting::count)
                .description("Requests in the batch lane not yet in a batch").register(metrics.registry());
        Gauge.builder("travelart.batch.waiting.oldest", () -> age(waiting.oldest())).baseUnit("seconds")
                .description("How long the oldest request not yet in a batch has waited").register(metrics.registry());
        Gauge.builder("travelart.batch.model.refused", () -> refusal.isRefused() ? 1 : 0)
                .description("1 while the Batch API refuses the lane's model: batch requests wait, then are drawn at full price")
                .register(metrics.registry());
        Gauge.builder("travelart.batch.open", open::size)
                .description("Batches submitted and not yet answered").register(metrics.registry());
        Gauge.builder("travelart.batch.open.oldest", () -> age(open.oldestSubmitted())).baseUnit("seconds")
                .description("How long the oldest open batch has been open").register(metrics.registry());
        this.thread = new Thread(this::run, "image-batch-lane");
        this.thread.setDaemon(true);
    }

    private double age(Instant since) {
        return since == null ? 0 : Math.max(0, Duration.between(since, time.instant()).toMillis() / 1000.0);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        try {
            begin();
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
            completion.close();
            clients.close();
        }
    }

    /** Before the first turn: the producer's transactions, the batches topic from its start, the pending topic's group. */
    void begin() {
        transactions.init();
        log.info("batch lane: reading {} (batches of at most {}, or {} old), asking about open batches every {}",
                config.pendingTopic(), config.maxRequests(), config.maxAge(), config.pollInterval());
        open.start();
        clients.pending().subscribe(List.of(config.pendingTopic()), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                if (!partitions.isEmpty()) {
                    log.info("batch lane: pending partitions {} revoked", partitions);
                }
                waiting.revoke(partitions);
                fallback.revoke(partitions);
                completion.revoke(partitions);
                partitions.forEach(tp -> owned.remove(tp.partition()));
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                log.info("batch lane: pending partitions {} assigned", partitions);
                partitions.forEach(tp -> owned.add(tp.partition()));
            }
        });
    }

    /** One turn: read the batches topic and the pending topic, submit (or fall back) what is due, ask about open batches. */
    void turn() {
        open.read(Duration.ZERO);
        waiting.add(clients.pending().poll(Duration.ofMillis(200)), time.instant());
        Instant now = time.instant();
        for (TopicPartition tp : waiting.partitions()) {
            if (refusal.fallingBack(now)) {
                drawNow(tp);
            } else if (!refusal.isRefused() && waiting.due(tp, now) && calls.admitted(() -> submit(tp))) {
                break; // one submission as the paused gate's probe; the others wait for its answer
            }
        }
        waiting.hold(clients.pending());
        if (completion.isAnswering()) {
            calls.admitted(this::answer); // a chunk of the ended batch; the others are asked about once it is answered
            return;
        }
        for (BatchRecord batch : open.due(owned, now)) {
            if (calls.admitted(() -> check(batch))) {
                break;
            }
        }
    }

    private void answer() {
        try {
            completion.answer();
        } catch (RuntimeException e) {
            LaneTransactions.rethrowIfFenced(e);
            log.warn("batch lane: answering a batch failed, going on from its last record later: {}", describe(e));
        }
    }

    private void submit(TopicPartition tp) {
        List<ConsumerRecord<byte[], byte[]>> group = waiting.group(tp);
        try {
            Submission.Taken taken = submission.submit(tp, group, clients.pending().groupMetadata());
            waiting.taken(tp, taken.lastOffset(), time.instant());
            taken.batch().ifPresent(open::opened);
        } catch (RuntimeException e) {
            LaneTransactions.rethrowIfFenced(e);
            // Nothing was recorded: the same records are submitted (or the batch found) on a later turn.
            log.warn("batch lane: submitting {}@{} failed, trying again later: {}", tp, group.get(0).offset(), describe(e));
            waiting.retryLater(tp, time.instant());
        }
    }

    private void check(BatchRecord batch) {
        try {
            completion.check(batch);
        } catch (RuntimeException e) {
            LaneTransactions.rethrowIfFenced(e);
            log.warn("batch lane: finishing {} failed, trying again later: {}", batch.batchId(), describe(e));
        }
        if (completion.isAnswering()) {
            answer(); // its first chunk in the same turn
        }
    }

    /**
     * The fallback: the first group waiting in a partition drawn in the interactive lane ({@link BatchFallback}); once
     * its calls have ended, its outputs written with its pending offsets in one transaction. A failure leaves the group
     * waiting to be drawn again; its images, stored already, are then found, not bought again.
     */
    private void drawNow(TopicPartition tp) {
        if (!fallback.drawing(tp)) {
            fallback.start(tp, waiting.group(tp));
            return;
        }
        try {
            Optional<BatchFallback.Drawn> drawn = fallback.finished(tp, time.instant());
            if (drawn.isEmpty()) {
                return;
            }
            transactions.commit(drawn.get().outputs(), List.of(), Map.of(tp, new OffsetAndMetadata(drawn.get().lastOffset() + 1)),
                    clients.pending().groupMetadata());
            waiting.taken(tp, drawn.get().lastOffset(), time.instant());
            log.warn("batch lane: {} requests of {} drawn in the interactive lane at full price (${} estimated), {} ready: the "
                            + "Batch API refuses the model {}", drawn.get().requests(), tp,
                    String.format(Locale.ROOT, "%.4f", drawn.get().cost()), drawn.get().ready(), refusal.model());
        } catch (RuntimeException e) {
            LaneTransactions.rethrowIfFenced(e);
            log.warn("batch lane: writing what {} drew in the interactive lane failed, drawing it again: {}", tp, describe(e));
        }
    }

    /** An exception and the cause at the bottom of it: the provider client's "Request failed" says nothing without what failed under it. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? e.toString() : e + " (" + root + ")";
    }

    /** Why the lane is not working, for readiness: its thread ended on an error (the log says which). */
    public Optional<String> stoppedReason() {
        return stopped == null ? Optional.empty() : Optional.of("the batch lane has stopped on " + stopped + " (the log says why)");
    }

    /** Why batch requests wait, for readiness: the Batch API refuses the lane's model and the fallback has not begun. */
    public Optional<String> refusedReason() {
        return refusal.waiting(time.instant());
    }

    @Override
    public void close() {
        running.set(false);
        clients.pending().wakeup();
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
