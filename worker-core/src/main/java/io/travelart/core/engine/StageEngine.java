package io.travelart.core.engine;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.serde.DecodeException;
import io.travelart.core.serde.EventSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Runs one {@link Stage} between Kafka topics: every consumed record ends as exactly one published
 * event, the stage's output or a {@code RequestFailed}, and offsets are committed only after those
 * events are acknowledged.
 *
 * <p>This first engine works batch by batch: it starts every record of a poll (at most
 * {@code maxInFlight}) at once, waits for all, publishes the results in input order and commits.
 * Undecodable records become INGEST failures carrying their raw bytes, so a partition never stalls.
 */
public final class StageEngine<I extends SpecificRecord, O extends SpecificRecord> implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StageEngine.class);

    /** Where a stage reads and writes, and how much it takes at once. */
    public record Config(String inputTopic, String outputTopic, String failedTopic, String groupId,
                         String clientId, int maxInFlight) {
    }

    private final Stage<I, O> stage;
    private final Config config;
    private final EventSerde serde;
    private final Clock clock;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final KafkaProducer<String, byte[]> producer;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean started;

    public StageEngine(Stage<I, O> stage, Config config, KafkaConfig kafka, EventSerde serde, Clock clock) {
        this.stage = stage;
        this.config = config;
        this.serde = serde;
        this.clock = clock;
        this.consumer = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, config.groupId(),
                ConsumerConfig.CLIENT_ID_CONFIG, config.clientId() + "-consumer",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(config.maxInFlight()))),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.producer = new KafkaProducer<>(kafka.with(Map.of(
                ProducerConfig.CLIENT_ID_CONFIG, config.clientId() + "-producer",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.LINGER_MS_CONFIG, "5")),
                new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void run() {
        started = true;
        try {
            consumer.subscribe(List.of(config.inputTopic()));
            log.info("{} stage reading {} as group {}", stage.name(), config.inputTopic(), config.groupId());
            while (running) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    handle(records);
                }
            }
        } finally {
            try {
                consumer.close(Duration.ofSeconds(5));
                producer.close(Duration.ofSeconds(5));
            } finally {
                stopped.countDown();
            }
        }
    }

    /** A record being worked on; {@code stageName} is INGEST for one that could not be decoded. */
    private record Pending<O>(ConsumerRecord<byte[], byte[]> record, String stageName, String requestId, String keyword,
                              Instant started, CompletableFuture<Outcome<O>> outcome) {
    }

    private void handle(ConsumerRecords<byte[], byte[]> records) {
        List<Pending<O>> batch = new ArrayList<>(records.count());
        for (ConsumerRecord<byte[], byte[]> record : records) {
            batch.add(start(record));
        }
        List<Future<RecordMetadata>> sends = new ArrayList<>(batch.size());
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (Pending<O> pending : batch) {
            Outcome<O> outcome = pending.outcome().join();
            sends.add(publish(pending, outcome));
            ConsumerRecord<byte[], byte[]> record = pending.record();
            offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
        }
        producer.flush();
        for (Future<RecordMetadata> send : sends) {
            try {
                send.get();
            } catch (ExecutionException e) {
                // Not committing is what keeps the request: it is redelivered to whoever runs next.
                throw new IllegalStateException("publishing failed, offsets not committed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while publishing", e);
            }
        }
        consumer.commitSync(offsets);
    }

    private Pending<O> start(ConsumerRecord<byte[], byte[]> record) {
        Instant started = clock.instant();
        I input;
        try {
            input = serde.deserialize(record.value(), stage.inputType());
        } catch (DecodeException e) {
            log.warn("undecodable record {}-{}@{} (key {}): {}", record.topic(), record.partition(), record.offset(),
                    rawKey(record), e.getMessage());
            return new Pending<>(record, StageNames.INGEST, null, null, started, CompletableFuture.completedFuture(
                    Outcome.failed(Failure.permanent(ErrorCodes.INGEST, e.getMessage()))));
        }
        String requestId = stage.requestId(input);
        String keyword = stage.keyword(input);
        CompletableFuture<Outcome<O>> outcome;
        try {
            outcome = stage.process(input);
        } catch (RuntimeException e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        outcome = outcome.exceptionally(t -> {
            log.error("{} stage failed unexpectedly on request {}", stage.name(), requestId, t);
            return Outcome.failed(Failure.permanent(ErrorCodes.INTERNAL, String.valueOf(t)));
        });
        return new Pending<>(record, stage.name(), requestId, keyword, started, outcome);
    }

    private Future<RecordMetadata> publish(Pending<O> pending, Outcome<O> outcome) {
        MDC.put("requestId", pending.requestId());
        try {
            if (outcome instanceof Outcome.Published<O> published) {
                return producer.send(new ProducerRecord<>(config.outputTopic(), pending.requestId(),
                        serde.serialize(config.outputTopic(), published.event())));
            }
            Failure failure = ((Outcome.Failed<O>) outcome).failure();
            log.info("request {} failed at {}: {} {}", pending.requestId(), pending.stageName(), failure.code(), failure.message());
            var event = FailureEvents.of(pending.record(), pending.stageName(), failure, pending.requestId(),
                    pending.keyword(), pending.started(), clock.instant());
            // An undecodable record has no request id: its failure keeps the key it came with.
            String key = pending.requestId() != null ? pending.requestId() : rawKey(pending.record());
            return producer.send(new ProducerRecord<>(config.failedTopic(), key,
                    serde.serialize(config.failedTopic(), event)));
        } finally {
            MDC.remove("requestId");
        }
    }

    private static String rawKey(ConsumerRecord<byte[], byte[]> record) {
        return record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
    }

    /**
     * Stops fetching, lets the batch in hand finish and commit, then closes the clients. (No
     * {@code wakeup()}: it could interrupt the commit of a batch already published.)
     */
    @Override
    public void close() {
        running = false;
        if (!started) {
            consumer.close(Duration.ZERO);
            producer.close(Duration.ZERO);
            return;
        }
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
