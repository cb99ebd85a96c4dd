package io.travelart.core.engine;

import io.travelart.core.config.WorkerConfig;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.time.Time;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.StageNames;

import io.travelart.core.EchoStage;
import io.travelart.core.GatedStage;
import io.travelart.core.TestStack;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The engine on the real broker and registry. */
class StageEngineTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);
    private final EventSerde serde = new EventSerde(new SchemaRegistryClient(TestStack.registry()), true);

    /** Engines started by a test, closed after it. */
    private final List<StageEngine<?, ?>> engines = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void closeEngines() {
        engines.forEach(StageEngine::close);
    }

    private <O extends SpecificRecord> StageEngine<KeywordRequested, O> start(Stage<KeywordRequested, O> stage, List<String> topics,
                                                                              String instance, int maxInFlight, KafkaConfig kafka,
                                                                              Duration drainGrace) {
        return start(stage, topics, instance, maxInFlight, kafka, drainGrace, new io.micrometer.core.instrument.simple.SimpleMeterRegistry());
    }

    private <O extends SpecificRecord> StageEngine<KeywordRequested, O> start(Stage<KeywordRequested, O> stage, List<String> topics,
                                                                              String instance, int maxInFlight, KafkaConfig kafka,
                                                                              Duration drainGrace, io.micrometer.core.instrument.MeterRegistry registry) {
        var config = new StageEngine.Config(List.of(topics.get(0)), topics.get(1), topics.get(2), maxInFlight, 10, Duration.ofMillis(100),
                drainGrace, WorkerConfig.DEFAULT_OFFSET_METADATA_MAX_BYTES);
        var identity = new EngineClients.Identity("engine-test-" + topics.get(0), "engine-test-" + instance,
                "engine-test-" + topics.get(0) + "-" + instance);
        StageEngine<KeywordRequested, O> engine = new StageEngine<>(stage, config, EngineClients.connect(kafka, identity, registry),
                serde, Time.SYSTEM, StageGate.withoutFreeProbe(stage.name(), registry), Cancellations.NONE, registry);
        engines.add(engine);
        Thread thread = new Thread(engine, "engine-" + instance);
        thread.start();
        return engine;
    }

    private List<String> produce(String topic, int count, String prefix) throws Exception {
        List<String> ids = new ArrayList<>();
        try (var producer = new KafkaProducer<>(TestStack.kafka().with(Map.of()), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                String id = prefix + i;
                KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword("city " + i)
                        .setRequestedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(topic, id, serde.serialize(topic, request))).get();
                ids.add(id);
            }
        }
        return ids;
    }

    @Test
    void everyRecordEndsAsExactlyOneEventAndBadBytesBecomeIngestFailures() throws Exception {
        List<String> topics = TestStack.createTopics(1, "in", "out", "failed");
        String in = topics.get(0), out = topics.get(1), failed = topics.get(2);

        List<String> expected = new ArrayList<>();
        try (var producer = new KafkaProducer<>(TestStack.kafka().with(Map.of()), new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 40; i++) {
                String id = "req-" + i;
                String keyword = i % 10 == 3 ? "fail " + i : "city " + i;
                KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword(keyword)
                        .setRequestedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>(in, id, serde.serialize(in, request))).get();
                if (!keyword.startsWith("fail")) {
                    expected.add(id);
                }
                if (i == 20) {
                    var poison = new ProducerRecord<String, byte[]>(in, null, "poison-key", "not avro at all".getBytes(StandardCharsets.UTF_8),
                            List.of(new RecordHeader("origin", "test".getBytes(StandardCharsets.UTF_8))));
                    producer.send(poison).get();
                }
            }
        }

        // EchoStage answers after a random delay: calls finish out of order, and their outputs go out as they finish.
        start(new EchoStage(), topics, "a", 8, TestStack.kafka(), Duration.ofSeconds(5));
        List<ConsumerRecord<String, byte[]>> outputs = readCommitted(out, 36);
        List<ConsumerRecord<String, byte[]>> failures = readCommitted(failed, 5);

        assertThat(outputs).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(outputs).allSatisfy(r -> assertThat(serde.deserialize(r.value(), PromptCreated.class).getPrompt())
                .startsWith("prompt for city"));

        List<RequestFailed> failedEvents = failures.stream().map(r -> serde.deserialize(r.value(), RequestFailed.class)).toList();
        assertThat(failedEvents).filteredOn(f -> f.getStage().equals(StageNames.PROMPT))
                .extracting(RequestFailed::getRequestId).containsExactlyInAnyOrder("req-3", "req-13", "req-23", "req-33");
        RequestFailed poison = failedEvents.stream().filter(f -> f.getStage().equals(StageNames.INGEST)).findFirst().orElseThrow();
        assertThat(poison.getErrorCode()).isEqualTo(ErrorCodes.INGEST);
        assertThat(poison.getRequestId()).isNull();
        assertThat(StandardCharsets.UTF_8.decode(poison.getOriginalValue()).toString()).isEqualTo("not avro at all");
        assertThat(StandardCharsets.UTF_8.decode(poison.getOriginalKey()).toString()).isEqualTo("poison-key");
        assertThat(poison.getOriginalHeaders()).hasSize(1);
        assertThat(poison.getOriginalHeaders().get(0).getKey()).isEqualTo("origin");
        assertThat(poison.getOriginTopic()).isEqualTo(in);
        assertThat(poison.getOriginOffset()).isEqualTo(21);
        assertThat(failures.stream().filter(r -> r.key().equals("poison-key")).count()).isEqualTo(1);
    }

    @Test
    void anIdleStageBehindATransactionalProducerReportsNoLag() throws Exception {
        List<String> topics = TestStack.createTopics(2, "in", "out", "failed");
        String in = topics.get(0);
        // As the prompt stage writes the image stage's input: in transactions, each ending with a commit marker.
        List<String> ids = new ArrayList<>();
        try (var producer = new KafkaProducer<>(TestStack.kafka().with(Map.of(
                org.apache.kafka.clients.producer.ProducerConfig.TRANSACTIONAL_ID_CONFIG, "lag-test-" + in)),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            for (int t = 0; t < 3; t++) {
                producer.beginTransaction();
                for (int i = 0; i < 4; i++) {
                    String id = "lag-" + t + "-" + i;
                    KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword("city " + i)
                            .setRequestedAt(Instant.now()).build();
                    producer.send(new ProducerRecord<>(in, id, serde.serialize(in, request)));
                    ids.add(id);
                }
                producer.commitTransaction();
            }
        }
        var registry = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        start(new EchoStage(), topics, "lag", 8, TestStack.kafka(), Duration.ofSeconds(5), registry);
        assertThat(readCommitted(topics.get(1), ids.size())).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);

        // Every record answered and committed: the lag of both partitions goes to 0 (it stayed at 1, the marker, before).
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(100)).until(() -> {
            var gauges = registry.find(EngineStats.LAG).tag("topic", in).gauges();
            return gauges.size() == 2 && gauges.stream().allMatch(g -> g.value() == 0);
        });
    }

    @Test
    void atCapacityItPausesButKeepsPollingSoASlowApiNeverCostsTheGroupMembership() throws Exception {
        List<String> topics = TestStack.createTopics(2, "in", "out", "failed");
        List<String> ids = produce(topics.get(0), 30, "slow-");
        // A poll interval far shorter than the calls take: without polling while paused, the member would be evicted.
        KafkaConfig kafka = new KafkaConfig(Map.of(KafkaConfig.BOOTSTRAP, TestStack.kafka().bootstrapServers(),
                "max.poll.interval.ms", "1000"));
        GatedStage stage = new GatedStage();
        StageEngine<KeywordRequested, PromptCreated> engine = start(stage, topics, "a", 4, kafka, Duration.ofSeconds(5));

        await().atMost(PATIENCE).until(() -> stage.open() == 4);
        long polls = engine.stats().polls();
        // 40 more polls take at least 4 s (100 ms each when idle): four poll intervals with every call still open.
        await().atMost(PATIENCE).until(() -> engine.stats().polls() >= polls + 40);

        assertThat(stage.calls()).as("calls started while at capacity").hasSize(4);
        assertThat(engine.stats().inFlight()).isEqualTo(4);
        assertThat(engine.stats().pauses()).as("partitions paused").isPositive();
        assertThat(engine.stats().rebalances()).as("no eviction, no rebalance").isZero();

        // Finishing calls in reverse order lets the rest through, each exactly once.
        await().atMost(PATIENCE).until(() -> {
            List<GatedStage.Call> open = stage.calls().stream().filter(c -> !c.future().isDone()).toList();
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).finish();
            }
            return engine.stats().published() == 30;
        });
        List<ConsumerRecord<String, byte[]>> outputs = readCommitted(topics.get(1), 30);
        assertThat(outputs).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(stage.maxOpen()).isEqualTo(4);
        assertThat(engine.stats().rebalances()).isZero();
    }

    @Test
    void aRebalanceDuringInFlightWorkLosesNothingAndPublishesNothingTwice() throws Exception {
        List<String> topics = TestStack.createTopics(4, "in", "out", "failed");
        List<String> ids = produce(topics.get(0), 60, "rb-");
        GatedStage first = new GatedStage();
        StageEngine<KeywordRequested, PromptCreated> a = start(first, topics, "a", 8, TestStack.kafka(), Duration.ofSeconds(5));
        await().atMost(PATIENCE).until(() -> first.open() == 8);
        // Some finished, committed work before the rebalance.
        first.calls().subList(0, 4).forEach(GatedStage.Call::finish);
        await().atMost(PATIENCE).until(() -> a.stats().published() >= 1);

        StageEngine<KeywordRequested, PromptCreated> b = start(new EchoStage(), topics, "b", 8, TestStack.kafka(),
                Duration.ofSeconds(5));
        await().atMost(PATIENCE).until(() -> a.stats().rebalances() >= 1);
        // Both members now hold work; finish everything the first one started, stale calls included.
        await().atMost(PATIENCE).until(() -> {
            first.finishAll();
            return a.stats().published() + b.stats().published() >= 60 && a.stats().inFlight() == 0;
        });

        List<ConsumerRecord<String, byte[]>> outputs = readCommitted(topics.get(1), 60);
        assertThat(outputs).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
        assertThat(committedOffsets(topics.get(0))).as("group offsets at the end of every partition")
                .isEqualTo(endOffsets(topics.get(0)));
        System.out.printf("rebalance: 60 requests, %d started twice (abandoned at the rebalance), %d lost, %d duplicated%n",
                first.calls().size() - first.calls().stream().map(c -> c.input().getRequestId()).distinct().count(),
                60 - outputs.stream().map(ConsumerRecord::key).distinct().count(),
                outputs.size() - outputs.stream().map(ConsumerRecord::key).distinct().count());
    }

    @Test
    void closingDrainsCallsInFlightCommitsWhatFinishedAndTheNextOwnerSkipsItOnTheBroker() throws Exception {
        List<String> topics = TestStack.createTopics(1, "in", "out", "failed");
        List<String> ids = produce(topics.get(0), 10, "drain-");
        GatedStage stage = new GatedStage();
        StageEngine<KeywordRequested, PromptCreated> engine = start(stage, topics, "a", 10, TestStack.kafka(),
                Duration.ofSeconds(3));
        await().atMost(PATIENCE).until(() -> stage.open() == 10);
        // Out of order: 3 to 7 end while 0, 1 and 2 still run.
        stage.calls().subList(3, 8).forEach(GatedStage.Call::finish);
        await().atMost(PATIENCE).until(() -> engine.stats().published() == 5);

        Thread closing = new Thread(engine::close);
        closing.start();
        // Finished during the grace period: committed. Calls 1, 8 and 9 never finish: left for the next owner.
        stage.calls().get(0).finish();
        stage.calls().get(2).finish();
        closing.join(PATIENCE.toMillis());
        assertThat(closing.isAlive()).isFalse();

        List<String> answered = List.of(ids.get(0), ids.get(2), ids.get(3), ids.get(4), ids.get(5), ids.get(6), ids.get(7));
        assertThat(readCommitted(topics.get(1), 7)).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(answered);
        OffsetAndMetadata committed = committed(topics.get(0)).get(new TopicPartition(topics.get(0), 0));
        assertThat(committed.offset()).as("the first unanswered record").isEqualTo(1);
        assertThat(AnsweredOffsets.decode(committed.offset(), committed.metadata()).orElseThrow().ranges())
                .as("what was answered beyond it, as the broker keeps it").containsExactly(new AnsweredOffsets.Range(2, 8));

        EchoStage next = new EchoStage();
        start(next, topics, "b", 10, TestStack.kafka(), Duration.ofSeconds(3));
        assertThat(readCommitted(topics.get(1), 10)).as("each request answered once, by one owner or the other")
                .extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(ids);
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(String topic) throws Exception {
        try (Admin admin = Admin.create(TestStack.kafka().with(Map.of()))) {
            return admin.listConsumerGroupOffsets("engine-test-" + topic).partitionsToOffsetAndMetadata().get();
        }
    }

    private static Map<TopicPartition, Long> committedOffsets(String topic) throws Exception {
        Map<TopicPartition, Long> result = new HashMap<>();
        committed(topic).forEach((tp, o) -> result.put(tp, o.offset()));
        return result;
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) {
        try (var consumer = new KafkaConsumer<>(TestStack.kafka().with(Map.of()), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            return new HashMap<>(consumer.endOffsets(partitions));
        }
    }

    static List<ConsumerRecord<String, byte[]>> readCommitted(String topic, int expected) {
        try (var consumer = new KafkaConsumer<>(TestStack.kafka().with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")), new StringDeserializer(), new ByteArrayDeserializer())) {
            var partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            await().atMost(PATIENCE).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return records.size() >= expected;
            });
            // Read to the end: anything beyond the expected count would be a duplicate.
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(PATIENCE).pollInSameThread().until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                return partitions.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
            });
            assertThat(records).as("records in %s", topic).hasSize(expected);
            return Collections.unmodifiableList(records);
        }
    }
}
