package io.travelart.image.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.openai.errors.PermissionDeniedException;
import com.openai.core.http.Headers;
import com.openai.models.batches.Batch;
import io.travelart.core.InMemorySchemas;
import io.travelart.core.VirtualTime;
import io.travelart.core.cancel.Cancellation;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.engine.StageGate;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import io.travelart.image.store.FileSystemImageStore;
import io.travelart.image.ImageDefaults;
import io.travelart.image.ImageFormat;
import io.travelart.image.ImageLinks;
import io.travelart.image.ImageOutcomes;
import io.travelart.image.ImageSize;
import io.travelart.image.ImageStore;
import io.travelart.image.openai.OpenAiImageGenerator;
import io.travelart.image.StoredImage;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The batch lane's loop on Kafka's mock clients and an in-memory Batch API, in virtual time, one turn at a time on the
 * test thread: gather, submit, adopt after a crash, complete, expire, a store that fails, a model the Batch API refuses
 * and the fallback, a paused lane, and a fenced owner. What only a broker and the simulator show is in the cli's
 * {@code BatchLaneIT} and {@code BatchModelRefusedIT}.
 */
class BatchLaneLoopTest {

    private static final String PENDING = "image-batch-pending";
    private static final String BATCHES = "image-batches";
    private static final String READY = "image-ready";
    private static final String FAILED = "request-failed";
    private static final TopicPartition P0 = new TopicPartition(PENDING, 0);
    private static final TopicPartition B0 = new TopicPartition(BATCHES, 0);
    private static final int MAX = 4;
    private static final Duration MAX_AGE = Duration.ofMinutes(10);
    private static final Duration FALLBACK_AFTER = Duration.ofHours(1);
    private static final String TRACE = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final VirtualTime time = new VirtualTime();
    private final EventSerde serde = new EventSerde(new InMemorySchemas(), true);
    private final WorkerMetrics metrics = WorkerMetrics.inMemory();
    private final FakeBatches api = new FakeBatches();
    /** Everything committed to each partition, in order: what a consumer of that partition can read. */
    private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> log = new HashMap<>();
    private final List<String> drawnNow = new ArrayList<>();
    private final Set<String> storeFails = new java.util.HashSet<>();
    private final Set<String> cancelled = new java.util.HashSet<>();
    @TempDir
    Path dir;
    private MockProducer<String, byte[]> producer;
    private MockConsumer<byte[], byte[]> pending;
    private StageGate gate;
    private BatchLane lane;
    private byte[] png;
    /** Lines answered per transaction: the lane's default unless a test asks for small chunks. */
    private int chunk = 50;

    @BeforeEach
    void setUp() throws IOException {
        png = png(1024, 1024);
        lane = newLane();
    }

    @AfterEach
    void tearDown() {
        producer.close();
    }

    // ---- the lane and its world ----

    private BatchLane newLane() throws IOException {
        producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        pending = new MockConsumer<>("earliest");
        MockConsumer<String, byte[]> batches = new LogConsumer<>(log, k -> k == null ? null : new String(k, StandardCharsets.UTF_8));
        batches.updatePartitions(BATCHES, List.of(new PartitionInfo(BATCHES, 0, null, null, null)));
        batches.updateBeginningOffsets(Map.of(B0, 0L));
        MockConsumer<byte[], byte[]> range = new LogConsumer<>(log, k -> k);
        gate = new StageGate(BatchLane.STAGE, StageGate.Config.DEFAULT, time, StageGate.Probe.NONE, Runnable::run, metrics.registry());
        ImageStore files = new FileSystemImageStore(dir);
        ImageStore store = new ImageStore() {
            @Override
            public StoredImage put(String requestId, byte[] bytes, ImageFormat format) throws IOException {
                if (storeFails.contains(requestId)) {
                    throw new IOException("the bucket is away");
                }
                return files.put(requestId, bytes, format);
            }

            @Override
            public Optional<StoredImage> find(String requestId) throws IOException {
                return files.find(requestId);
            }
        };
        ImageOutcomes outcomes = new ImageOutcomes(store, ImageLinks.under("http://images.example/images"), "gpt-image-2.6-flare", time);
        OpenAiImageGenerator lines = new OpenAiImageGenerator(OpenAIOkHttpClient.builder().apiKey("never-used")
                .baseUrl("http://127.0.0.1:9").build(), "gpt-image-2.6-flare", Duration.ofSeconds(1));
        BatchLane.Drawing drawing = new BatchLane.Drawing(lines, "gpt-image-2.6-flare", new ImageDefaults(new ImageSize(1024, 1024), "medium"),
                outcomes, gate, new OpenAiErrors(time), input -> {
                    drawnNow.add(input.getRequestId());
                    return CompletableFuture.completedFuture(outcomes.keep(input, new ImageSize(1024, 1024),
                            new io.travelart.image.GeneratedImage(png, null, "gpt-image-2.6-flare", null), 5, Priorities.INTERACTIVE));
                }, id -> cancelled.contains(id)
                        ? Optional.of(new Cancellation(id, "changed my mind", "ops", Instant.parse("2026-12-05T10:00:00Z")))
                        : Optional.empty());
        BatchLaneConfig config = new BatchLaneConfig(true, MAX, MAX_AGE, Duration.ofMinutes(1), chunk, PENDING, BATCHES, Optional.empty(),
                FALLBACK_AFTER);
        BatchLane made = new BatchLane(config, new LaneClients(pending, batches, range, producer), READY, FAILED, serde, api, drawing,
                metrics, time);
        made.begin();
        pending.updateBeginningOffsets(Map.of(P0, 0L));
        pending.rebalance(List.of(P0));
        // A new owner reads the partition's records from its group's committed offset.
        log.getOrDefault(P0, List.of()).stream().filter(r -> r.offset() >= committedPending).forEach(r -> pending.addRecord(copy(r)));
        return made;
    }

    /** A turn, then what it committed made readable, as a broker would after the transaction. */
    private void turn() {
        lane.turn();
        deliver();
    }

    private int delivered;
    /** The pending group's offset as the lane's transactions committed it. */
    private long committedPending;

    private void deliver() {
        List<ProducerRecord<String, byte[]>> sent = producer.history();
        for (ProducerRecord<String, byte[]> record : sent.subList(delivered, sent.size())) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition() == null ? 0 : record.partition());
            List<ConsumerRecord<byte[], byte[]>> records = log.computeIfAbsent(tp, k -> new ArrayList<>());
            ConsumerRecord<byte[], byte[]> stored = new ConsumerRecord<>(tp.topic(), tp.partition(), records.size(),
                    record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value());
            record.headers().forEach(h -> stored.headers().add(h));
            records.add(stored);
            if (tp.equals(P0)) {
                pending.addRecord(copy(stored));
            }
        }
        delivered = sent.size();
        producer.consumerGroupOffsetsHistory().forEach(byGroup -> byGroup.values().forEach(offsets -> {
            if (offsets.containsKey(P0)) {
                committedPending = offsets.get(P0).offset();
            }
        }));
    }

    /** Publishes prompt-created records to the pending topic, as the image stage does, and returns their request ids. */
    private List<String> publish(String... ids) {
        for (String id : ids) {
            KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword("Paris in winter " + id)
                    .setRequestedAt(time.instant()).setPriority(Priorities.BATCH).build();
            PromptCreated input = PromptCreated.newBuilder().setRequestId(id).setRequest(request).setPrompt("A night view of " + id)
                    .setModel("gpt-5.4-mini").setPromptLatencyMs(12).setCreatedAt(time.instant()).build();
            append(id, serde.serialize(PENDING, input));
        }
        return List.of(ids);
    }

    private void append(String key, byte[] value) {
        List<ConsumerRecord<byte[], byte[]>> records = log.computeIfAbsent(P0, k -> new ArrayList<>());
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>(PENDING, 0, records.size(), key.getBytes(StandardCharsets.UTF_8), value);
        record.headers().add(EventHeaders.TRACEPARENT, TRACE.getBytes(StandardCharsets.US_ASCII));
        records.add(record);
        pending.addRecord(copy(record));
    }

    private static ConsumerRecord<byte[], byte[]> copy(ConsumerRecord<byte[], byte[]> record) {
        ConsumerRecord<byte[], byte[]> copy = new ConsumerRecord<>(record.topic(), record.partition(), record.offset(), record.key(),
                record.value());
        record.headers().forEach(h -> copy.headers().add(h));
        return copy;
    }

    private List<ConsumerRecord<byte[], byte[]>> on(String topic) {
        return log.getOrDefault(new TopicPartition(topic, 0), List.of());
    }

    private Map<String, ImageReady> ready() {
        Map<String, ImageReady> ready = new LinkedHashMap<>();
        on(READY).forEach(r -> ready.merge(new String(r.key(), StandardCharsets.UTF_8), serde.deserialize(r.value(), ImageReady.class),
                (a, b) -> { throw new AssertionError("two image-ready for " + a.getRequestId()); }));
        return ready;
    }

    private Map<String, RequestFailed> failed() {
        Map<String, RequestFailed> failed = new LinkedHashMap<>();
        on(FAILED).forEach(r -> failed.put(new String(r.key(), StandardCharsets.UTF_8), serde.deserialize(r.value(), RequestFailed.class)));
        return failed;
    }

    /** The batches topic's records; one that is not a batch record (a test's garbage) is null. */
    private List<BatchRecord> batchRecords() {
        return on(BATCHES).stream().map(r -> {
            try {
                return BatchRecord.fromJson(r.value());
            } catch (RuntimeException e) {
                return null;
            }
        }).toList();
    }

    private static byte[] png(int width, int height) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB), "png", out);
        return out.toByteArray();
    }

    // ---- the tests ----

    @Test
    void aFullGroupIsOneBatchRecordedWithItsOffsetsAndASmallerOneWaitsForItsAge() {
        publish("r1", "r2", "r3", "r4", "r5");
        turn();
        assertThat(api.created).hasSize(1);
        assertThat(api.created.get(0).lines).extracting(l -> l.path("custom_id").asText()).containsExactly("r1", "r2", "r3", "r4");
        assertThat(batchRecords()).singleElement().satisfies(b -> {
            assertThat(b.state()).isEqualTo(BatchRecord.OPEN);
            assertThat(b.firstOffset()).isZero();
            assertThat(b.lastOffset()).isEqualTo(3);
        });
        assertThat(producer.consumerGroupOffsetsHistory()).last().satisfies(o ->
                assertThat(o.values().iterator().next().get(P0).offset()).isEqualTo(4));

        turn();
        assertThat(api.created).as("r5 alone waits for its age").hasSize(1);
        time.advance(MAX_AGE);
        turn();
        assertThat(api.created).hasSize(2);
        assertThat(api.created.get(1).lines).extracting(l -> l.path("custom_id").asText()).containsExactly("r5");
    }

    @Test
    void anEndedBatchBecomesOneImageReadyPerRequestWithItsTraceAndAStoreThatFailsIsThatRequestsStorageFailure() {
        publish("r1", "r2", "r3", "r4");
        turn();
        storeFails.add("r3");
        FakeBatches.Submitted batch = api.created.get(0);
        batch.complete(png, "r1", "r2", "r3");
        batch.errorLine("r4", 400, "content_policy_violation", "Your request was rejected");
        time.advance(Duration.ofMinutes(1));
        turn();

        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r2");
        assertThat(ready().values()).allSatisfy(r -> {
            assertThat(r.getLane()).isEqualTo(Priorities.BATCH);
            assertThat(r.getImageUrl()).startsWith("http://images.example/images/");
        });
        assertThat(failed().get("r3").getErrorCode()).isEqualTo(ErrorCodes.STORAGE);
        assertThat(failed().get("r3").getRetriable()).isTrue();
        assertThat(failed().get("r4").getErrorCode()).isEqualTo(ErrorCodes.CONTENT_POLICY);
        assertThat(on(READY)).allSatisfy(r -> assertThat(EventHeaders.traceId(r.headers().lastHeader(EventHeaders.TRACEPARENT).value()))
                .contains("0af7651916cd43dd8448eb211c80319c"));
        assertThat(batchRecords()).last().satisfies(b -> {
            assertThat(b.state()).isEqualTo(BatchRecord.DONE);
            assertThat(b.ready()).isEqualTo(2);
            assertThat(b.failed()).isEqualTo(2);
        });
        // Answered once: later turns ask about nothing more.
        int retrieved = api.retrieved;
        time.advance(Duration.ofMinutes(5));
        turn();
        assertThat(api.retrieved).isEqualTo(retrieved);
    }

    @Test
    void anExpiredBatchAnswersItsFinishedLinesAndFailsTheRestRetriably() {
        publish("r1", "r2", "r3", "r4");
        turn();
        api.created.get(0).complete(png, "r1");
        api.created.get(0).status = "expired";
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).containsExactly("r1");
        assertThat(failed().values()).hasSize(3).allSatisfy(f -> {
            assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.BATCH_EXPIRED);
            assertThat(f.getRetriable()).isTrue();
        });
    }

    @Test
    void aRequestCancelledWhileItWaitedGoesIntoNoBatchAndEndsOnceAsCancelled() {
        cancelled.add("r2");
        publish("r1", "r2", "r3", "r4");
        turn();
        FakeBatches.Submitted batch = api.created.get(0);
        assertThat(batch.lines).extracting(l -> l.get("custom_id").asText()).containsExactly("r1", "r3", "r4");
        assertThat(failed().get("r2")).satisfies(f -> {
            assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.CANCELLED);
            assertThat(f.getRetriable()).isFalse();
            assertThat(f.getMessage()).isEqualTo("cancelled by ops at 2026-12-05T10:00:00Z: changed my mind");
        });
        assertThat(batchRecords()).last().satisfies(b -> assertThat(b.requests()).isEqualTo(3));

        batch.complete(png, "r1", "r3", "r4");
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r3", "r4");
        assertThat(on(FAILED)).as("r2 ended once: not also as a line the batch lost").hasSize(1);
        assertThat(batchRecords()).last().satisfies(b -> {
            assertThat(b.state()).isEqualTo(BatchRecord.DONE);
            assertThat(b.ready()).isEqualTo(3);
            assertThat(b.failed()).isZero();
        });
    }

    @Test
    void aCancelledRequestThatIsTwiceInItsGroupEndsOnce() {
        cancelled.add("r2");
        publish("r1", "r2", "r3", "r2");
        turn();
        FakeBatches.Submitted batch = api.created.get(0);
        assertThat(batch.lines).extracting(l -> l.get("custom_id").asText()).containsExactly("r1", "r3");
        batch.complete(png, "r1", "r3");
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r3");
        assertThat(on(FAILED)).as("r2 ended once, both its places answered").hasSize(1);
        assertThat(batchRecords()).last().satisfies(b -> assertThat(b.state()).isEqualTo(BatchRecord.DONE));
    }

    @Test
    void theFallbackDrawsNoCancelledRequest() {
        publish("r1", "r2", "r3", "r4");
        turn();
        api.created.get(0).failOnModel();
        time.advance(Duration.ofMinutes(1));
        turn();
        cancelled.add("r1");
        time.advance(FALLBACK_AFTER);
        turn();
        turn();
        assertThat(drawnNow).containsExactlyInAnyOrder("r2", "r3", "r4");
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r2", "r3", "r4");
        assertThat(failed().get("r1").getErrorCode()).isEqualTo(ErrorCodes.CANCELLED);
    }

    /** A lane that answers {@code lines} lines a transaction, with r1-r4 submitted as its one batch. */
    private void submitInChunksOf(int lines) throws IOException {
        chunk = lines;
        producer.close();
        lane = newLane();
        publish("r1", "r2", "r3", "r4");
        turn();
    }

    @Test
    void anEndedBatchIsAnsweredAChunkPerTurnAndAnOwnerThatTakesOverGoesOnFromTheLastChunkWritten() throws IOException {
        submitInChunksOf(2);
        FakeBatches.Submitted batch = api.created.get(0);
        batch.complete(png, "r3", "r1", "r2");
        batch.errorLine("r4", 500, "server_error", "The server had an error processing your request");
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).as("the first chunk: the output file's first two lines").containsExactlyInAnyOrder("r3", "r1");
        assertThat(batchRecords()).last().satisfies(b -> {
            assertThat(b.state()).isEqualTo(BatchRecord.ANSWERING);
            assertThat(b.outputLines()).isEqualTo(2);
            assertThat(b.ready()).isEqualTo(2);
        });
        assertThat(producer.transactionCommitted()).isTrue();

        // The owner dies between chunks; the next one reads the batches topic from its start and goes on from there.
        producer.close();
        delivered = 0;
        lane = newLane();
        time.advance(Duration.ofMinutes(1));
        turn(); // r2, the output file's last line, then r4, the error file's only one: nothing left, so done with them
        assertThat(ready().keySet()).as("each once (ready() fails on a second)").containsExactlyInAnyOrder("r1", "r2", "r3");
        assertThat(failed()).containsOnlyKeys("r4");
        assertThat(failed().get("r4").getErrorCode()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
        assertThat(on(FAILED)).hasSize(1);
        assertThat(on(READY)).allSatisfy(r -> assertThat(EventHeaders.traceId(r.headers().lastHeader(EventHeaders.TRACEPARENT).value()))
                .contains("0af7651916cd43dd8448eb211c80319c"));
        assertThat(batchRecords()).last().satisfies(b -> {
            assertThat(b.state()).isEqualTo(BatchRecord.DONE);
            assertThat(b.outputLines()).isEqualTo(3);
            assertThat(b.errorLines()).isEqualTo(1);
            assertThat(b.ready()).as("counted across both owners").isEqualTo(3);
            assertThat(b.failed()).isEqualTo(1);
        });
        assertThat(batchRecords()).extracting(BatchRecord::state)
                .containsExactly(BatchRecord.OPEN, BatchRecord.ANSWERING, BatchRecord.DONE);
        assertThat(api.created).as("no second batch").hasSize(1);
        int retrieved = api.retrieved;
        time.advance(Duration.ofMinutes(5));
        turn();
        assertThat(api.retrieved).as("answered: asked about no more").isEqualTo(retrieved);
    }

    @Test
    void theChunkThatTakesTheLastLineIsWrittenWithTheBatchsEnd() throws IOException {
        submitInChunksOf(2);
        api.created.get(0).complete(png, "r1", "r2", "r3", "r4");
        time.advance(Duration.ofMinutes(1));
        turn();
        turn();
        assertThat(ready()).hasSize(4);
        assertThat(batchRecords()).as("no chunk of nothing after the last line").extracting(BatchRecord::state)
                .containsExactly(BatchRecord.OPEN, BatchRecord.ANSWERING, BatchRecord.DONE);
    }

    @Test
    void theRequestsWithoutALineAreAnsweredInChunksToo() throws IOException {
        submitInChunksOf(2);
        api.created.get(0).complete(png, "r1");
        api.created.get(0).status = "expired";
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).containsExactly("r1");
        assertThat(failed().keySet()).as("r1's line, then the first request without one").containsExactly("r2");
        turn();
        assertThat(failed().keySet()).containsExactlyInAnyOrder("r2", "r3", "r4");
        assertThat(failed().values()).allSatisfy(f -> assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.BATCH_EXPIRED));
        assertThat(batchRecords()).extracting(BatchRecord::state)
                .containsExactly(BatchRecord.OPEN, BatchRecord.ANSWERING, BatchRecord.DONE);
    }

    @Test
    void aChunkThatFailsToCommitIsAnsweredAgainFromTheLastRecordWithoutPublishingTwice() throws IOException {
        submitInChunksOf(2);
        api.created.get(0).complete(png, "r1", "r2", "r3", "r4");
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready()).hasSize(2);
        producer.commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("the broker went away");
        turn(); // the second chunk is aborted
        assertThat(ready()).hasSize(2);
        producer.commitTransactionException = null;
        turn();
        assertThat(ready()).as("dropped with its chunk: asked about again a poll interval later").hasSize(2);
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
        assertThat(on(READY)).hasSize(4);
        assertThat(api.opened).as("the output file opened again once, its first two lines skipped").isEqualTo(2);
    }

    @Test
    void aLaneThatDiedAfterCreatingABatchAdoptsItInsteadOfPayingAgain() throws IOException {
        publish("r1", "r2", "r3", "r4");
        // The batch is created, then the lane dies before its OPEN is committed.
        producer.commitTransactionException = new org.apache.kafka.common.errors.TimeoutException("the broker went away");
        turn();
        assertThat(api.created).hasSize(1);
        assertThat(batchRecords()).isEmpty();

        // A new owner of the partition: it reads the same records again.
        producer.close();
        delivered = 0;
        log.remove(B0);
        lane = newLane();
        turn();
        assertThat(api.created).as("no second batch").hasSize(1);
        assertThat(batchRecords()).singleElement().satisfies(b -> assertThat(b.batchId()).isEqualTo(api.created.get(0).id));
    }

    @Test
    void aBatchFailedOnItsModelPutsItsRequestsBackAndAfterTheFallbackAgeTheyAreDrawnInTheInteractiveLane() {
        publish("r1", "r2", "r3", "r4");
        turn();
        api.created.get(0).failOnModel();
        time.advance(Duration.ofMinutes(1));
        turn();
        assertThat(lane.refusedReason()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .contains("refuses the model gpt-image-2.6-flare");
        assertThat(on(PENDING)).as("the four requests put back, with their headers").hasSize(8);
        assertThat(on(PENDING).subList(4, 8)).allSatisfy(r -> assertThat(r.headers().lastHeader(EventHeaders.TRACEPARENT)).isNotNull());
        assertThat(ready()).isEmpty();
        assertThat(failed()).isEmpty();

        publish("r5");
        time.advance(MAX_AGE);
        turn();
        turn();
        assertThat(api.created).as("nothing submitted while the model is refused").hasSize(1);
        assertThat(drawnNow).isEmpty();

        time.advance(FALLBACK_AFTER);
        turn(); // r1-r4 drawn: their calls start, and the lane goes on without waiting for them
        assertThat(drawnNow).containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
        assertThat(ready()).isEmpty();
        turn(); // their calls have ended: written with their offsets
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r2", "r3", "r4");
        turn();
        turn();
        assertThat(drawnNow).containsExactlyInAnyOrder("r1", "r2", "r3", "r4", "r5");
        assertThat(ready().keySet()).containsExactlyInAnyOrder("r1", "r2", "r3", "r4", "r5");
        assertThat(ready().values()).allSatisfy(r -> assertThat(r.getLane()).isEqualTo(Priorities.INTERACTIVE));
        assertThat(lane.refusedReason()).as("falling back, the lane works: ready").isEmpty();
        assertThat(metrics.registry().get("travelart.batch.fallback").counter().count()).isEqualTo(5);
    }

    @Test
    void aKeyWithoutTheBatchScopePausesTheLaneWhichProbesOneCallAtATimeAndResumes() {
        publish("r1", "r2", "r3", "r4");
        api.refuse = true;
        turn();
        assertThat(gate.isPaused()).isTrue();
        assertThat(gate.pausedReason()).get(org.assertj.core.api.InstanceOfAssertFactories.STRING).contains("AUTH");
        int calls = api.calls;
        turn();
        turn();
        assertThat(api.calls).as("nothing asked while paused, before the probe is due").isEqualTo(calls);

        api.refuse = false;
        time.advance(Duration.ofSeconds(6));
        turn(); // the probe is due: no free probe can tell (the lane has none), so the next due call probes
        turn();
        assertThat(gate.isPaused()).isFalse();
        assertThat(api.created).hasSize(1);
        assertThat(batchRecords()).singleElement();
    }

    @Test
    void anUnreadableRecordOfTheBatchesTopicIsSkippedAndCountedAndTheLaneGoesOn() throws IOException {
        log.computeIfAbsent(B0, k -> new ArrayList<>()).add(new ConsumerRecord<>(BATCHES, 0, 0,
                "someone-else".getBytes(StandardCharsets.UTF_8), "{not a batch record".getBytes(StandardCharsets.UTF_8)));
        producer.close();
        delivered = 0;
        lane = newLane(); // reads the batches topic from its start, as at every start
        publish("r1", "r2", "r3", "r4");
        turn();
        assertThat(metrics.registry().get("travelart.batch.records.skipped").counter().count()).isEqualTo(1);
        assertThat(api.created).hasSize(1);
        assertThat(batchRecords().subList(1, batchRecords().size())).singleElement()
                .satisfies(b -> assertThat(b.state()).isEqualTo(BatchRecord.OPEN));
    }

    @Test
    void aFencedOwnerStopsWithoutPublishing() {
        publish("r1", "r2", "r3", "r4");
        producer.fenceProducer();
        org.assertj.core.api.Assertions.assertThatThrownBy(this::turn)
                .isInstanceOf(org.apache.kafka.common.errors.ProducerFencedException.class);
        assertThat(on(BATCHES)).isEmpty();
        assertThat(on(READY)).isEmpty();
    }

    // ---- an in-memory Batch API and consumers of the committed log ----

    /** A consumer whose polls read the committed log of its assigned partitions, from its position. */
    private static final class LogConsumer<K> extends MockConsumer<K, byte[]> {
        private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> log;
        private final java.util.function.Function<byte[], K> keys;

        LogConsumer(Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> log, java.util.function.Function<byte[], K> keys) {
            super("earliest");
            this.log = log;
            this.keys = keys;
        }

        @Override
        public synchronized ConsumerRecords<K, byte[]> poll(Duration timeout) {
            for (TopicPartition tp : assignment()) {
                long position = position(tp);
                for (ConsumerRecord<byte[], byte[]> record : log.getOrDefault(tp, List.of())) {
                    if (record.offset() >= position) {
                        ConsumerRecord<K, byte[]> typed = new ConsumerRecord<>(tp.topic(), tp.partition(), record.offset(),
                                keys.apply(record.key()), record.value());
                        record.headers().forEach(h -> typed.headers().add(h));
                        addRecord(typed);
                    }
                }
            }
            return super.poll(timeout);
        }

        @Override
        public synchronized Map<TopicPartition, Long> endOffsets(java.util.Collection<TopicPartition> partitions) {
            Map<TopicPartition, Long> ends = new HashMap<>();
            partitions.forEach(tp -> ends.put(tp, (long) log.getOrDefault(tp, List.of()).size()));
            return ends;
        }
    }

    private static final class FakeBatches implements BatchService {
        private static final ObjectMapper JSON = new ObjectMapper();
        final List<Submitted> created = new ArrayList<>();
        final Map<String, List<String>> files = new HashMap<>();
        boolean refuse;
        int calls;
        int retrieved;
        int opened;

        final class Submitted {
            final String id = "batch_" + (created.size() + 1);
            final String submission;
            final long lastOffset;
            final List<JsonNode> lines = new ArrayList<>();
            final List<String> output = new ArrayList<>();
            final List<String> errors = new ArrayList<>();
            String status = "in_progress";
            boolean modelRefused;

            Submitted(String submission, long lastOffset, List<String> jsonl) {
                this.submission = submission;
                this.lastOffset = lastOffset;
                jsonl.forEach(l -> {
                    try {
                        lines.add(JSON.readTree(l));
                    } catch (IOException e) {
                        throw new AssertionError(e);
                    }
                });
            }

            void complete(byte[] image, String... ids) {
                for (String id : ids) {
                    ObjectNode line = JSON.createObjectNode().put("custom_id", id);
                    ObjectNode body = line.putObject("response").put("status_code", 200).putObject("body");
                    body.put("created", 1);
                    body.putArray("data").addObject().put("b64_json", Base64.getEncoder().encodeToString(image));
                    body.putObject("usage").put("input_tokens", 20).put("output_tokens", 1000).put("total_tokens", 1020)
                            .putObject("input_tokens_details").put("image_tokens", 0).put("text_tokens", 20);
                    output.add(line.toString());
                }
                status = "completed";
            }

            void errorLine(String id, int status, String code, String message) {
                ObjectNode line = JSON.createObjectNode().put("custom_id", id);
                line.putObject("response").put("status_code", status).putObject("body").putObject("error").put("code", code)
                        .put("message", message);
                errors.add(line.toString());
            }

            void failOnModel() {
                status = "failed";
                modelRefused = true;
            }

            Batch batch() {
                ObjectNode node = JSON.createObjectNode().put("id", id).put("object", "batch").put("endpoint", "/v1/images/generations")
                        .put("input_file_id", "file-in").put("completion_window", "24h").put("status", status).put("created_at", 1);
                node.putObject("metadata").put("travelart_submission", submission).put("travelart_last_offset", Long.toString(lastOffset));
                if (!output.isEmpty()) {
                    files.put(id + "-out", output);
                    node.put("output_file_id", id + "-out");
                }
                if (!errors.isEmpty()) {
                    files.put(id + "-err", errors);
                    node.put("error_file_id", id + "-err");
                }
                if (modelRefused) {
                    node.putObject("errors").put("object", "list").putArray("data").addObject().put("code", "model_not_supported")
                            .put("message", "The model is not supported by the Batch API.").put("param", "body.model").put("line", 1);
                }
                try {
                    return ObjectMappers.jsonMapper().treeToValue(node, Batch.class);
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        }

        private void call() {
            calls++;
            if (refuse) {
                throw PermissionDeniedException.builder().headers(Headers.builder().build()).build();
            }
        }

        @Override
        public Optional<Batch> find(String submission) {
            call();
            return created.stream().filter(b -> b.submission.equals(submission)).findFirst().map(Submitted::batch);
        }

        @Override
        public Batch create(String submission, long lastOffset, List<String> lines) {
            call();
            Submitted batch = new Submitted(submission, lastOffset, lines);
            created.add(batch);
            return batch.batch();
        }

        @Override
        public Batch retrieve(String batchId) {
            call();
            retrieved++;
            return created.stream().filter(b -> b.id.equals(batchId)).findFirst().orElseThrow().batch();
        }

        @Override
        public BatchFile open(String fileId) {
            call();
            opened++;
            String text = String.join("\n", files.getOrDefault(fileId, List.of())) + "\n";
            return new BatchFile(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), 1 << 26);
        }
    }
}
