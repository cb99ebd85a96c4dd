package io.travelart.core.engine;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.InMemorySchemas;
import io.travelart.core.VirtualTime;
import io.travelart.core.cancel.Cancellation;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The engine's loop on Kafka's mock clients in virtual time, one turn at a time on the test thread: what
 * it sends and commits when calls end out of order, on a rebalance or a lost partition with calls in flight,
 * after an aborted transaction, on close, and when fenced. What only a broker shows is in {@link StageEngineTest}.
 */
class StageEngineLoopTest {

    private static final TopicPartition P0 = new TopicPartition("in", 0);
    private static final TopicPartition P1 = new TopicPartition("in", 1);
    private static final Duration COMMIT_INTERVAL = Duration.ofMillis(20);

    private final VirtualTime time = new VirtualTime();
    private final InMemorySchemas schemas = new InMemorySchemas();
    private final EventSerde serde = new EventSerde(schemas, true);
    private final ManualStage stage = new ManualStage();
    /** Each instance's producer, the last one the current owner's. */
    private final List<MockProducer<String, byte[]>> producers = new ArrayList<>();
    private MockProducer<String, byte[]> producer;
    private final Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> log = new HashMap<>();
    private MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    /** Where commits run: at once on the loop thread, unless a test holds them. */
    private java.util.concurrent.Executor committer = Runnable::run;
    /** What the engine's view of request-cancelled holds. */
    private final Map<String, Cancellation> cancelled = new HashMap<>();

    /** A stage whose calls end when the test says, in the order it says. */
    private static final class ManualStage extends KeywordStage<PromptCreated> {
        final Map<String, CompletableFuture<Outcome<PromptCreated>>> calls = new LinkedHashMap<>();
        final Map<String, Integer> started = new HashMap<>();
        /** Request ids whose call throws this instead of starting. */
        final Map<String, Throwable> throwing = new HashMap<>();

        @Override
        public CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested input) {
            Throwable thrown = throwing.get(input.getRequestId());
            if (thrown instanceof Error error) {
                throw error;
            }
            if (thrown instanceof RuntimeException runtime) {
                throw runtime;
            }
            var call = new CompletableFuture<Outcome<PromptCreated>>();
            calls.put(input.getRequestId(), call);
            started.merge(input.getRequestId(), 1, Integer::sum);
            return call;
        }

        void answer(String... ids) {
            for (String id : ids) {
                calls.remove(id).complete(Outcome.published(PromptCreated.newBuilder().setRequestId(id)
                        .setRequest(KeywordRequested.newBuilder().setRequestId(id).setKeyword("k").setRequestedAt(Instant.EPOCH).build())
                        .setPrompt("prompt for " + id).setModel("manual").setPromptLatencyMs(0).setCreatedAt(Instant.EPOCH).build()));
            }
        }

        void answerWith(String id, String prompt) {
            calls.remove(id).complete(Outcome.published(PromptCreated.newBuilder().setRequestId(id)
                    .setRequest(KeywordRequested.newBuilder().setRequestId(id).setKeyword("k").setRequestedAt(Instant.EPOCH).build())
                    .setPrompt(prompt).setModel("manual").setPromptLatencyMs(0).setCreatedAt(Instant.EPOCH).build()));
        }

        void fail(String id, Failure failure) {
            calls.remove(id).complete(Outcome.failed(failure));
        }

        void pass(String id) {
            calls.remove(id).complete(Outcome.passed("not this stage's to answer"));
        }
    }

    private StageEngine<KeywordRequested, PromptCreated> engine(int maxMetadataBytes) {
        var engine = unopened(maxMetadataBytes);
        engine.open();
        return engine;
    }

    /** An engine on this test's consumer and a new producer, not opened yet. */
    private StageEngine<KeywordRequested, PromptCreated> unopened(int maxMetadataBytes) {
        var config = new StageEngine.Config(List.of("in"), "out", "failed", 8, 100, COMMIT_INTERVAL, Duration.ofSeconds(5), maxMetadataBytes);
        var registry = new SimpleMeterRegistry();
        producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        producers.add(producer);
        return new StageEngine<>(stage, config, EngineClients.of(consumer, producer, "travelart-test-1"), serde, time,
                StageGate.withoutFreeProbe(stage.name(), registry), id -> Optional.ofNullable(cancelled.get(id)), registry, committer);
    }

    private StageEngine<KeywordRequested, PromptCreated> engine() {
        return engine(4096);
    }

    private void assign(TopicPartition... partitions) {
        Map<TopicPartition, Long> beginning = new HashMap<>();
        for (TopicPartition tp : partitions) {
            beginning.put(tp, 0L);
        }
        consumer.updateBeginningOffsets(beginning);
        consumer.rebalance(List.of(partitions));
    }

    /** Appends requests to a partition's log and hands them to the consumer. */
    private void append(TopicPartition tp, String... ids) {
        List<ConsumerRecord<byte[], byte[]>> records = log.computeIfAbsent(tp, p -> new ArrayList<>());
        for (String id : ids) {
            var request = KeywordRequested.newBuilder().setRequestId(id).setKeyword("keyword " + id).setRequestedAt(Instant.EPOCH).build();
            var record = new ConsumerRecord<>(tp.topic(), tp.partition(), records.size(), id.getBytes(), serde.serialize("in", request));
            records.add(record);
            consumer.addRecord(record);
        }
    }

    /** As the broker would after a seek or to a new consumer: the log again, from the consumer's position on. */
    private void redeliver() {
        log.forEach((tp, records) -> records.forEach(consumer::addRecord));
    }

    private void turns(StageEngine<?, ?> engine, int count) {
        for (int i = 0; i < count; i++) {
            engine.turn();
        }
    }

    /** Keys of what committed transactions hold on a topic, over every instance. */
    private List<String> committed(String topic) {
        return producers.stream().flatMap(p -> p.history().stream()).filter(r -> r.topic().equals(topic))
                .map(ProducerRecord::key).toList();
    }

    private OffsetAndMetadata lastCommit(TopicPartition tp) {
        OffsetAndMetadata last = null;
        for (var instance : producers) {
            for (var byGroup : instance.consumerGroupOffsetsHistory()) {
                for (var offsets : byGroup.values()) {
                    if (offsets.containsKey(tp)) {
                        last = offsets.get(tp);
                    }
                }
            }
        }
        return last;
    }

    @Test
    void aCancelledRequestEndsAsOneCancelledFailureWithoutItsCallWhetherCancelledBeforeItCameOrWhileItWaited() {
        var engine = engine();
        assign(P0);
        cancelled.put("b", new Cancellation("b", "not needed", "ops", Instant.parse("2026-12-05T10:00:00Z")));
        // Eight calls at most: i and j wait for a slot.
        append(P0, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j");
        engine.turn();
        assertThat(stage.started).as("b never started").containsOnlyKeys("a", "c", "d", "e", "f", "g", "h", "i");
        cancelled.put("j", new Cancellation("j", null, "ops", Instant.parse("2026-12-05T10:00:01Z")));
        stage.answer("a");
        engine.turn();
        assertThat(stage.started).as("j, cancelled while it waited, never started").doesNotContainKey("j");
        stage.answer("c", "d", "e", "f", "g", "h", "i");
        time.advance(COMMIT_INTERVAL);
        turns(engine, 3);

        assertThat(committed("out")).containsExactlyInAnyOrder("a", "c", "d", "e", "f", "g", "h", "i");
        assertThat(committed("failed")).containsExactlyInAnyOrder("b", "j");
        var failures = producer.history().stream().filter(r -> r.topic().equals("failed"))
                .map(r -> serde.deserialize(r.value(), RequestFailed.class)).toList();
        assertThat(failures).allSatisfy(f -> {
            assertThat(f.getErrorCode()).isEqualTo(ErrorCodes.CANCELLED);
            assertThat(f.getRetriable()).isFalse();
            assertThat(f.getStage()).isEqualTo(stage.name());
        });
        assertThat(failures).extracting(RequestFailed::getMessage).containsExactlyInAnyOrder(
                "cancelled by ops at 2026-12-05T10:00:00Z: not needed", "cancelled by ops at 2026-12-05T10:00:01Z");
        assertThat(lastCommit(P0).offset()).as("every record answered").isEqualTo(10);
    }

    @Test
    void aRecordTheStagePassesOverIsCommittedWithNothingPublished() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b");
        engine.turn();
        stage.pass("a");
        stage.answer("b");
        engine.turn();
        time.advance(COMMIT_INTERVAL);
        engine.turn();

        assertThat(committed("out")).containsExactly("b");
        assertThat(committed("failed")).isEmpty();
        assertThat(lastCommit(P0).offset()).as("both answered").isEqualTo(2);
        assertThat(engine.stats().published()).isEqualTo(1);
    }

    @Test
    void aCallThatEndsEarlyIsPublishedWithoutWaitingForEarlierOnes() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b", "c");
        engine.turn();
        assertThat(stage.calls).containsOnlyKeys("a", "b", "c");

        stage.answer("c");
        engine.turn();
        assertThat(producer.uncommittedRecords()).extracting(ProducerRecord::key).as("sent at once").containsExactly("c");
        time.advance(COMMIT_INTERVAL);
        engine.turn();

        assertThat(committed("out")).containsExactly("c");
        OffsetAndMetadata commit = lastCommit(P0);
        assertThat(commit.offset()).as("the first unanswered record").isZero();
        assertThat(AnsweredOffsets.decode(commit.offset(), commit.metadata()).orElseThrow().ranges())
                .containsExactly(new AnsweredOffsets.Range(2, 3));
    }

    @Test
    void aTransactionStaysOpenForTheCommitIntervalWhileCallsRunAndCommitsAtOnceWhenAllIsQuiet() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b");
        engine.turn();
        stage.answer("a");
        turns(engine, 3);
        assertThat(producer.commitCount()).as("b still runs, and the interval has not passed").isZero();

        time.advance(COMMIT_INTERVAL.minusMillis(1));
        engine.turn();
        assertThat(producer.commitCount()).isZero();
        time.advance(Duration.ofMillis(1));
        engine.turn();
        assertThat(producer.commitCount()).isOne();

        stage.answer("b");
        engine.turn();
        assertThat(producer.commitCount()).as("nothing else polled, finished or running").isEqualTo(2);
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(2, ""));
    }

    /** A first owner takes a, b, c and d, answers b and d, commits, and dies with a and c running; returns its commit. */
    private OffsetAndMetadata firstOwnerAnswersBAndD() {
        var first = engine();
        assign(P0);
        append(P0, "a", "b", "c", "d");
        first.turn();
        stage.answer("b", "d");
        first.turn();
        time.advance(COMMIT_INTERVAL);
        first.turn();
        return lastCommit(P0);
    }

    /** The next owner, on its own consumer, starting from what the last one committed. */
    private StageEngine<KeywordRequested, PromptCreated> nextOwner(MockConsumer<byte[], byte[]> itsConsumer, OffsetAndMetadata handedOver) {
        consumer = itsConsumer;
        stage.started.clear();
        var next = engine();
        consumer.commitSync(Map.of(P0, handedOver)); // after subscribing: MockConsumer forgets commits made before
        assign(P0);
        redeliver();
        return next;
    }

    @Test
    void aNewOwnerSkipsWhatTheLastOneAnsweredBeyondItsCommittedOffset() {
        OffsetAndMetadata handedOver = firstOwnerAnswersBAndD();
        assertThat(handedOver.offset()).isZero();

        var next = nextOwner(new MockConsumer<>("earliest"), handedOver);
        next.turn();

        assertThat(stage.started).as("only what was not answered is called again").containsOnlyKeys("a", "c");
        stage.answer("a", "c");
        next.turn();
        assertThat(committed("out")).containsExactlyInAnyOrder("b", "d", "a", "c");
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(4, ""));
    }

    @Test
    void anAbortedCommitPublishesNothingOfItsTransactionAndEveryUnansweredRecordIsWorkedOnAgain() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b", "c");
        engine.turn();
        stage.answer("b");
        engine.turn();
        time.advance(COMMIT_INTERVAL);
        engine.turn();
        assertThat(committed("out")).containsExactly("b");

        stage.answer("a");
        engine.turn();
        producer.commitTransactionException = new KafkaException("the coordinator moved");
        time.advance(COMMIT_INTERVAL);
        engine.turn();
        assertThat(producer.transactionAborted()).isTrue();
        assertThat(committed("out")).as("a's output went with the aborted transaction").containsExactly("b");

        producer.commitTransactionException = null;
        redeliver();
        turns(engine, 2); // the first poll returns at once: the end of the failed commit woke it
        assertThat(stage.started).as("b stays answered; a and c (abandoned in flight) start again")
                .containsEntry("a", 2).containsEntry("b", 1).containsEntry("c", 2);
        stage.answer("a", "c");
        engine.turn();
        time.advance(COMMIT_INTERVAL); // the first call of c, abandoned, still runs: not quiet
        engine.turn();
        assertThat(committed("out")).containsExactlyInAnyOrder("b", "a", "c");
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(3, ""));
    }

    @Test
    void aRevokedPartitionCommitsWhatIsAnsweredAndItsLateResultsAreDropped() {
        var engine = engine();
        assign(P0, P1);
        append(P0, "a0", "b0");
        append(P1, "a1", "b1");
        engine.turn();
        stage.answer("a1");
        engine.turn();

        consumer.rebalance(List.of(P0));
        assertThat(committed("out")).as("committed on revocation").containsExactly("a1");
        assertThat(lastCommit(P1)).isEqualTo(new OffsetAndMetadata(1, ""));

        stage.answer("b1", "a0", "b0");
        engine.turn();
        assertThat(committed("out")).as("b1 belongs to the next owner of in-1 now").containsExactlyInAnyOrder("a1", "a0", "b0");
        assertThat(lastCommit(P1).offset()).isEqualTo(1);
    }

    @Test
    void aLostPartitionAbortsTheOpenTransactionWithoutCommittingAnything() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b");
        engine.turn();
        stage.answer("a");
        engine.turn();
        assertThat(producer.uncommittedRecords()).hasSize(1);

        engine.rebalance.onPartitionsLost(List.of(P0));
        stage.answer("b");
        engine.turn();

        assertThat(producer.transactionAborted()).isTrue();
        assertThat(producer.history()).isEmpty();
        assertThat(producer.consumerGroupOffsetsHistory()).isEmpty();
        assertThat(engine.isAssigned()).isFalse();
    }

    @Test
    void resultsWaitWhenTheirOffsetsWouldNotFitTheCommitMetadata() {
        // "ta1:" and one gap-and-length pair take 7 characters; two pairs would take 10.
        var engine = engine(8);
        assign(P0);
        append(P0, "a", "b", "c", "d", "e");
        engine.turn();
        stage.answer("b", "d");
        engine.turn();
        assertThat(producer.uncommittedRecords()).extracting(ProducerRecord::key).as("d would open a second range").containsExactly("b");

        stage.answer("a");
        engine.turn();
        assertThat(producer.uncommittedRecords()).extracting(ProducerRecord::key).as("a moves the committed offset to c")
                .containsExactly("b", "a", "d");
        time.advance(COMMIT_INTERVAL);
        engine.turn();
        OffsetAndMetadata commit = lastCommit(P0);
        assertThat(commit.offset()).isEqualTo(2);
        assertThat(commit.metadata().length()).isLessThanOrEqualTo(8);
    }

    @Test
    void closingLetsCallsInFlightFinishWithinTheGraceAndLeavesTheRestToTheNextOwner() {
        var engine = engine();
        assign(P0);
        append(P0, "a", "b");
        engine.turn();
        consumer.schedulePollTask(() -> stage.answer("a"));
        consumer.schedulePollTask(() -> time.advance(Duration.ofSeconds(6))); // b outlives the 5 s grace

        engine.stop();
        engine.drain();
        engine.shut();

        assertThat(committed("out")).containsExactly("a");
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(1, ""));
        assertThat(consumer.closed()).isTrue();
        assertThat(producer.closed()).isTrue();
    }

    @Test
    void aFencedInstanceStopsWithTheReasonInsteadOfRetrying() {
        var engine = engine();
        assign(P0);
        append(P0, "a");
        engine.turn();
        producer.fenceProducer();
        stage.answer("a");

        assertThatThrownBy(engine::turn).isInstanceOf(FatalKafkaException.class)
                .hasMessageContaining("travelart-test-1").hasMessageContaining("TRAVELART_INSTANCE_ID");
        assertThat(producer.history()).isEmpty();
    }

    @Test
    void aFailedCallIsPublishedAsItsFailureEventAndABadRecordAsAnIngestFailure() {
        var engine = engine();
        assign(P0);
        append(P0, "a");
        var poison = new ConsumerRecord<byte[], byte[]>("in", 0, 1, "poison".getBytes(), "not avro".getBytes());
        log.get(P0).add(poison);
        consumer.addRecord(poison);
        engine.turn();
        stage.fail("a", Failure.permanent(ErrorCodes.INVALID_INPUT, "keyword is blank"));
        engine.turn();

        assertThat(committed("failed")).containsExactlyInAnyOrder("a", "poison");
        var events = producer.history().stream().map(r -> serde.deserialize(r.value(), RequestFailed.class)).toList();
        assertThat(events).extracting(RequestFailed::getErrorCode).containsExactlyInAnyOrder(ErrorCodes.INVALID_INPUT, ErrorCodes.INGEST);
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(2, ""));
    }

    /** Appends a record of raw bytes to a partition's log. */
    private void appendRaw(TopicPartition tp, String key, byte[] value) {
        List<ConsumerRecord<byte[], byte[]>> records = log.computeIfAbsent(tp, p -> new ArrayList<>());
        var record = new ConsumerRecord<byte[], byte[]>(tp.topic(), tp.partition(), records.size(), key.getBytes(), value);
        records.add(record);
        consumer.addRecord(record);
    }

    /** The wire-format header of keyword-requested, then a requestId declaring 2^31-9 bytes: 10 bytes asking for 2 GB. */
    private byte[] lengthBomb() {
        byte[] valid = serde.serialize("in", KeywordRequested.newBuilder().setRequestId("x").setKeyword("k").setRequestedAt(Instant.EPOCH).build());
        var out = new java.io.ByteArrayOutputStream();
        out.write(valid, 0, 5);
        long zigzag = (Integer.MAX_VALUE - 8L) << 1;
        while ((zigzag & ~0x7FL) != 0) {
            out.write((int) ((zigzag & 0x7F) | 0x80));
            zigzag >>>= 7;
        }
        out.write((int) zigzag);
        return out.toByteArray();
    }

    @Test
    void hostileRecordsEachEndAsOneIngestFailureAndTheGoodOnesAroundThemFlow() {
        var engine = engine();
        assign(P0);
        append(P0, "a");
        appendRaw(P0, "bomb", lengthBomb());
        byte[] oversized = new byte[io.travelart.core.config.WorkerConfig.DEFAULT_MAX_RECORD_BYTES + 1];
        System.arraycopy(lengthBomb(), 0, oversized, 0, 5);
        appendRaw(P0, "oversized", oversized);
        append(P0, "b");
        engine.turn();
        assertThat(stage.calls).containsOnlyKeys("a", "b");
        stage.answer("a", "b");
        turns(engine, 2);

        assertThat(committed("out")).containsExactlyInAnyOrder("a", "b");
        assertThat(committed("failed")).containsExactlyInAnyOrder("bomb", "oversized");
        var failures = producer.history().stream().filter(r -> r.topic().equals("failed"))
                .map(r -> serde.deserialize(r.value(), RequestFailed.class)).toList();
        assertThat(failures).extracting(RequestFailed::getErrorCode).containsOnly(ErrorCodes.INGEST);
        var oversizedFailure = failures.stream().filter(f -> f.getOriginOffset() == 2).findFirst().orElseThrow();
        assertThat(oversizedFailure.getMessage()).contains("more than the limit");
        assertThat(oversizedFailure.getOriginalTruncated()).isTrue();
        assertThat(oversizedFailure.getOriginalValue().remaining()).isEqualTo(FailureEvents.MAX_ORIGINAL_VALUE_BYTES);
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(4, ""));
    }

    @Test
    void aCallThatThrowsAnErrorFailsItsRecordAloneAsInternalAndTheStageGoesOn() {
        var engine = engine();
        assign(P0, P1);
        stage.throwing.put("overflow", new StackOverflowError("deep"));
        stage.throwing.put("npe", new NullPointerException("a bug"));
        append(P0, "overflow", "a");
        append(P1, "npe", "b");
        engine.turn();
        stage.answer("a", "b");
        turns(engine, 2);

        assertThat(committed("out")).containsExactlyInAnyOrder("a", "b");
        assertThat(committed("failed")).containsExactlyInAnyOrder("overflow", "npe");
        assertThat(producer.history().stream().filter(r -> r.topic().equals("failed"))
                .map(r -> serde.deserialize(r.value(), RequestFailed.class).getErrorCode())).containsOnly(ErrorCodes.INTERNAL);
        assertThat(lastCommit(P0).offset()).isEqualTo(2);
        assertThat(lastCommit(P1).offset()).isEqualTo(2);
    }

    @Test
    void anOutputTooLargeToPublishFailsItsRecordInsteadOfAbortingEveryTransaction() {
        var engine = engine();
        assign(P0);
        append(P0, "huge", "a");
        engine.turn();
        stage.answerWith("huge", "x".repeat(io.travelart.core.config.WorkerConfig.DEFAULT_MAX_RECORD_BYTES));
        stage.answer("a");
        turns(engine, 2);

        assertThat(committed("out")).containsExactly("a");
        assertThat(committed("failed")).containsExactly("huge");
        RequestFailed failure = serde.deserialize(producer.history().stream().filter(r -> r.topic().equals("failed"))
                .findFirst().orElseThrow().value(), RequestFailed.class);
        assertThat(failure.getErrorCode()).isEqualTo(ErrorCodes.INVALID_INPUT);
        assertThat(failure.getMessage()).contains("more than the limit of " + io.travelart.core.config.WorkerConfig.DEFAULT_MAX_RECORD_BYTES);
        assertThat(failure.getOriginalTruncated()).isFalse();
        assertThat(stage.started).containsEntry("huge", 1);
        assertThat(lastCommit(P0)).isEqualTo(new OffsetAndMetadata(2, ""));
    }

    @Test
    void theErrorThatStopsTheEngineIsItsErrorEvenWhenClosingFailsToo() {
        var closeFails = new MockConsumer<byte[], byte[]>("earliest") {
            @Override
            public synchronized void close(org.apache.kafka.clients.consumer.CloseOptions option) {
                throw new java.util.concurrent.RejectedExecutionException("commit executor stopped");
            }
        };
        consumer = closeFails;
        var engine = unopened(4096);
        closeFails.setPollException(new KafkaException("the broker refused us"));

        assertThatThrownBy(engine::run).isInstanceOf(KafkaException.class).hasMessage("the broker refused us")
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .satisfies(s -> assertThat(s).hasMessage("commit executor stopped")));
    }

    @Test
    void aResultThatCannotBePublishedIsWorkedOnAgainAfterAPauseNotSkipped() {
        var engine = engine();
        assign(P0);
        append(P0, "a");
        engine.turn();
        schemas.makeUnreachable("out-value");
        schemas.makeUnreachable("failed-value");
        stage.answer("a");
        engine.turn();

        assertThat(time.sleeps()).containsExactly(Duration.ofSeconds(1));
        assertThat(producer.history()).isEmpty();
        schemas.makeReachable("out-value");
        redeliver();
        engine.turn();
        assertThat(stage.started).containsEntry("a", 2);
        stage.answer("a");
        engine.turn();
        assertThat(committed("out")).containsExactly("a");
    }

    @Test
    void whileACommitIsInFlightCallsGoOnAndWhatEndsGoesIntoTheNextTransaction() {
        List<Runnable> commits = new ArrayList<>();
        committer = commits::add;
        var engine = engine();
        assign(P0);
        append(P0, "a", "b", "c");
        engine.turn();
        stage.answer("a");
        engine.turn();
        time.advance(COMMIT_INTERVAL);
        engine.turn();
        assertThat(commits).as("a's commit started, on the committer").hasSize(1);

        append(P0, "d");
        stage.answer("b");
        turns(engine, 2);
        assertThat(stage.calls).as("the loop went on: d started").containsKey("d");
        assertThat(producer.uncommittedRecords()).extracting(ProducerRecord::key).as("b waits for the next transaction")
                .containsExactly("a");

        commits.remove(0).run();
        turns(engine, 2);
        assertThat(committed("out")).containsExactly("a");
        assertThat(producer.uncommittedRecords()).extracting(ProducerRecord::key).containsExactly("b");
    }

    @Test
    void aCallEndingWhileTheNewOwnerReadsTheLastCommitDoesNotMakeItAnswerAgain() {
        OffsetAndMetadata handedOver = firstOwnerAnswersBAndD();

        // A wakeup (a call that ended) lands while the assignment reads the committed offsets.
        var next = nextOwner(new MockConsumer<>("earliest") {
            private boolean woken = true;

            @Override
            public synchronized Map<TopicPartition, OffsetAndMetadata> committed(java.util.Set<TopicPartition> partitions) {
                if (woken) {
                    woken = false;
                    throw new org.apache.kafka.common.errors.WakeupException();
                }
                return super.committed(partitions);
            }
        }, handedOver);
        turns(next, 2); // the first poll hands the wakeup on

        assertThat(stage.started).as("b and d were answered by the first owner").containsOnlyKeys("a", "c");
    }
}
