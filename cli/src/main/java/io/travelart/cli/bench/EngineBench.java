package io.travelart.cli.bench;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.WorkerConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.engine.EngineClients;
import io.travelart.core.engine.EventHeaders;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.engine.StageEngine;
import io.travelart.core.engine.StageGate;
import io.travelart.core.time.Time;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.worker.CallPool;
import io.travelart.devstack.DevStack;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The stage engine alone, on the embedded broker and registry: N records through a synthetic stage
 * ({@code noop} or {@code sleep}), and for {@code noop} the same records through a bare Kafka
 * consume→transform→produce relay with the same serde and the same transactional guarantee, one
 * transaction per poll. Throughput is counted from the first record consumed to the last committed.
 */
public final class EngineBench {

    public record Options(int requests, int partitions, int maxInFlight, long maxProcessingMicros, boolean relay,
                          Duration commitInterval, Path dataDir) {
    }

    public record Run(String name, long records, double seconds) {
        public double throughput() {
            return records / seconds;
        }
    }

    public record Result(Options options, Run engine, Run relay, double bound) {
    }

    private final Options o;
    private final PrintStream progress;

    public EngineBench(Options options, PrintStream progress) {
        this.o = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        try (DevStack<?> stack = DevStack.start(o.dataDir().resolve("stack"), Optional.empty())) {
            KafkaConfig kafka = KafkaConfig.of(stack.bootstrapServers());
            EventSerde serde = new EventSerde(new SchemaRegistryClient(RegistryConfig.of(stack.registryUrl())), true);
            try (TopicSetup setup = new TopicSetup(kafka, Duration.ofSeconds(30))) {
                setup.create(List.of("bench-in", "bench-out", "bench-relay-out", "bench-failed"), o.partitions(), (short) 1);
            }
            fill(kafka, serde);
            ExecutorService calls = CallPool.create("bench-call");
            try {
                Run engine = runEngine(kafka, serde, new SyntheticStage(o.maxProcessingMicros(), calls));
                Run relay = o.relay() ? runRelay(kafka, serde) : null;
                double meanMicros = o.maxProcessingMicros() / 2.0;
                double bound = meanMicros <= 0 ? Double.NaN : o.requests() * meanMicros / 1e6 / o.maxInFlight();
                return new Result(o, engine, relay, bound);
            } finally {
                calls.shutdownNow();
            }
        }
    }

    private void fill(KafkaConfig kafka, EventSerde serde) {
        progress.printf("Writing %d records to bench-in (%d partitions)...%n", o.requests(), o.partitions());
        try (var producer = new KafkaProducer<>(kafka.with(Map.of(ProducerConfig.LINGER_MS_CONFIG, "5")),
                new StringSerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < o.requests(); i++) {
                String id = "engine-bench-" + i;
                KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id).setKeyword("Kyoto in autumn rain")
                        .setRequestedAt(Instant.now()).build();
                producer.send(new ProducerRecord<>("bench-in", id, serde.serialize("bench-in", request)));
            }
            producer.flush();
        }
    }

    private Run runEngine(KafkaConfig kafka, EventSerde serde, SyntheticStage stage) throws InterruptedException {
        var config = new StageEngine.Config(List.of("bench-in"), "bench-out", "bench-failed", o.maxInFlight(), WorkerConfig.DEFAULT_MAX_BUFFERED,
                o.commitInterval(), Duration.ofSeconds(10), WorkerConfig.DEFAULT_OFFSET_METADATA_MAX_BYTES);
        var registry = new SimpleMeterRegistry();
        var clients = EngineClients.connect(kafka, new EngineClients.Identity("bench-engine", "bench-engine", "bench-engine"), registry);
        StageEngine<KeywordRequested, PromptCreated> engine = new StageEngine<>(stage, config, clients, serde, Time.SYSTEM,
                StageGate.withoutFreeProbe(stage.name(), registry), Cancellations.NONE, registry);
        Thread thread = new Thread(engine, "bench-engine");
        thread.start();
        try {
            long first = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (engine.stats().published() + engine.stats().failed() < o.requests()) {
                if (first == 0 && engine.stats().consumed() > 0) {
                    first = System.nanoTime();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("engine bench timed out at " + engine.stats().published());
                }
                Thread.sleep(1);
            }
            long last = System.nanoTime();
            progress.printf("  engine: %d records in %.3f s, %d transactions taking %.3f s%n", o.requests(), (last - first) / 1e9,
                    engine.stats().commits(), engine.stats().commitTime().toNanos() / 1e9);
            return new Run("engine", o.requests(), (last - first) / 1e9);
        } finally {
            engine.close();
            thread.join();
        }
    }

    /**
     * The textbook exactly-once relay: poll, transform, send with the same headers as the engine's, offsets in
     * the transaction, commit, per poll.
     */
    private Run runRelay(KafkaConfig kafka, EventSerde serde) {
        try (var consumer = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, "bench-relay",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "500")),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
             // The engine's producer settings, for a fair comparison.
             var producer = new KafkaProducer<>(EngineClients.producerSettings(kafka, "bench-relay", "bench-relay"),
                     new StringSerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of("bench-in"));
            var headers = new EventHeaders.Template(PromptCreated.getClassSchema().getFullName(), "/travelart/prompt");
            long first = 0;
            long done = 0;
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (done < o.requests() && System.nanoTime() < deadline) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    continue;
                }
                if (first == 0) {
                    first = System.nanoTime();
                }
                producer.beginTransaction();
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> record : records) {
                    KeywordRequested input = serde.deserialize(record.value(), KeywordRequested.class);
                    // The headers every engine output carries (trace context and CloudEvents), so that the comparison is fair.
                    producer.send(new ProducerRecord<>("bench-relay-out", null, input.getRequestId(),
                            serde.serialize("bench-relay-out", SyntheticStage.output(input)),
                            headers.forOutput(record.headers(), input.getRequestId(), Instant.now())));
                    offsets.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
                done += records.count();
            }
            long last = System.nanoTime();
            progress.printf("  relay:  %d records in %.3f s%n", done, (last - first) / 1e9);
            return new Run("relay", done, (last - first) / 1e9);
        }
    }
}
