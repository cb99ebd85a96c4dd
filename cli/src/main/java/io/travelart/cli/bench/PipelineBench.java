package io.travelart.cli.bench;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.ImageReady;
import io.travelart.events.KeywordRequested;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestFailed;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The whole pipeline under load: the embedded stack, the simulator (images drawn once and reused, so
 * that its own cost stays out of the figures), both worker jars as separate processes, N requests.
 * Times are taken in this JVM: when a request was handed to Kafka, and when its prompt-created and
 * image-ready became readable (committed).
 */
public final class PipelineBench {

    public record Options(int requests, int warmup, int partitions, Duration chatLatency, Duration imageLatency, double jitter,
                          int maxInFlight, int imagesPerMinute, double publishRate, String workerHeap,
                          Optional<Duration> commitInterval, Path dataDir, double batchShare, Duration batchMaxAge,
                          io.travelart.devstack.image.ImageDetail imageDetail) {

        /** Whether request i of a run is one of priority batch: every request whose share crosses a whole number. */
        boolean batch(int i) {
            return Math.floor((i + 1) * batchShare) > Math.floor(i * batchShare);
        }
    }

    /** The stage figures are the interactive requests'; {@code batch} is the batch requests' end to end (null without any). */
    public record Result(Options options, StageFigures prompt, StageFigures image, StageFigures endToEnd, Latencies overhead,
                  long failed, long rateLimited, long imageCalls, Map<String, Long> peakRss, Map<String, Integer> exitCodes,
                  StageFigures batch, double idealImageRatio) {
    }

    private final Options o;
    private final PrintStream progress;

    public PipelineBench(Options options, PrintStream progress) {
        this.o = options;
        this.progress = progress;
    }

    public Result run() throws Exception {
        SimulatorSettings simulator = SimulatorSettings.defaults().withLatency(o.chatLatency(), o.imageLatency())
                .withJitter(o.jitter()).withReusedImages(true).withImagesPerMinute(o.imagesPerMinute()).withImageDetail(o.imageDetail());
        try (DevStack<?> stack = DevStack.start(o.dataDir().resolve("stack"), Optional.of(simulator))) {
            KafkaConfig kafka = KafkaConfig.of(stack.bootstrapServers());
            Topics topics = Topics.DEFAULT;
            try (TopicSetup setup = new TopicSetup(kafka, Duration.ofSeconds(30))) {
                setup.create(topics, o.partitions(), (short) 1);
            }
            Map<String, String> env = new HashMap<>(stack.environment());
            // Any other worker setting from the bench's own environment (TRAVELART_MAX_IMAGES_IN_MEMORY=32 ./travelart bench);
            // the bench's options and the stack's addresses win.
            System.getenv().forEach((name, value) -> {
                if (name.startsWith("TRAVELART_")) {
                    env.putIfAbsent(name, value);
                }
            });
            env.put("TRAVELART_INSTANCE_ID", "bench");
            env.put("TRAVELART_MAX_IN_FLIGHT", Integer.toString(o.maxInFlight()));
            env.put("TRAVELART_IMAGES_PER_MINUTE", Integer.toString(o.imagesPerMinute()));
            env.put("TRAVELART_IMAGE_DIR", o.dataDir().resolve("images").toString());
            env.put("TRAVELART_IMAGE_HTTP_HOST", "127.0.0.1");
            env.put("TRAVELART_IMAGE_HTTP_PORT", "0");
            env.put("TRAVELART_MANAGEMENT_HOST", "127.0.0.1");
            env.put("TRAVELART_MANAGEMENT_PORT", "0");
            o.commitInterval().ifPresent(interval -> env.put("TRAVELART_COMMIT_INTERVAL", interval.toMillis() + "ms"));
            // The batch lane gathers for --batch-max-age (2 s) and asks every half second; the simulator takes 2 s per batch.
            env.put("TRAVELART_BATCH_MAX_AGE", o.batchMaxAge().toMillis() + "ms");
            env.put("TRAVELART_BATCH_POLL_INTERVAL", "500ms");
            progress.printf("Stack up. Starting prompt-worker and image-worker (max in flight %d, heap %s)...%n",
                    o.maxInFlight(), o.workerHeap());
            Map<String, Long> peakRss = new LinkedHashMap<>();
            Map<String, Integer> exits = new LinkedHashMap<>();
            try (WorkerProcess prompt = WorkerProcess.start("prompt-worker", env, o.workerHeap(), o.dataDir().resolve("prompt-worker.log"));
                 WorkerProcess image = WorkerProcess.start("image-worker", env, o.workerHeap(), o.dataDir().resolve("image-worker.log"))) {
                awaitAssigned(kafka, List.of("travelart-prompt-worker", "travelart-image-worker"), List.of(prompt, image));
                EventSerde serde = new EventSerde(new SchemaRegistryClient(RegistryConfig.of(stack.registryUrl())), true);
                if (o.warmup() > 0) {
                    // JIT, class loading and first connections make the first calls slow: not what a steady service sees.
                    progress.printf("Warming up with %d requests (not counted)...%n", o.warmup());
                    measure(kafka, topics, serde, stack.simulator().orElseThrow(), "warmup-", o.warmup(), false);
                }
                progress.printf("Measuring %d requests...%n", o.requests());
                Result partial = measure(kafka, topics, serde, stack.simulator().orElseThrow(), "bench-", o.requests(), true);
                for (WorkerProcess w : List.of(prompt, image)) {
                    w.peakRssBytes().ifPresent(rss -> peakRss.put(w.name(), rss));
                    exits.put(w.name(), w.stop());
                }
                return new Result(o, partial.prompt(), partial.image(), partial.endToEnd(), partial.overhead(), partial.failed(),
                        partial.rateLimited(), partial.imageCalls(), peakRss, exits, partial.batch(), partial.idealImageRatio());
            }
        }
    }

    private Result measure(KafkaConfig kafka, Topics topics, EventSerde serde, OpenAiSimulator simulator, String prefix,
                           int requests, boolean withBatch) throws Exception {
        Map<String, Long> published = new ConcurrentHashMap<>();
        java.util.Set<String> batchIds = ConcurrentHashMap.newKeySet();
        Map<String, Long> batchReady = new HashMap<>();
        int[] batchSeenTwice = new int[1];
        Latencies batchLatency = new Latencies();
        Map<String, Long> prompted = new HashMap<>();
        Map<String, Long> ready = new HashMap<>();
        Latencies promptLatency = new Latencies();
        Latencies imageLatency = new Latencies();
        Latencies endToEnd = new Latencies();
        Latencies overhead = new Latencies();
        long failed = 0;
        long rateLimitedBefore = simulator.rateLimitedCalls();
        long imageCallsBefore = simulator.totalCalls(OpenAiSimulator.Endpoint.IMAGES);

        try (var consumer = new KafkaConsumer<>(kafka.with(Map.of(
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10")), new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(topics.promptCreated(), topics.imageReady(), topics.requestFailed())) {
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);

            Thread publisher = new Thread(() -> publish(kafka, topics, serde, published, batchIds, prefix, requests, withBatch),
                    "bench-publisher");
            publisher.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
            long lastReport = System.nanoTime();
            while (ready.size() + batchReady.size() + failed < requests && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.nanoTime();
                    String topic = record.topic();
                    if (batchIds.contains(record.key())) {
                        // A batch request: only when it ended counts, and not in the interactive figures.
                        if (topic.equals(topics.imageReady()) && batchReady.putIfAbsent(record.key(), now) == null) {
                            batchLatency.record(now - published.get(record.key()));
                        } else if (topic.equals(topics.imageReady())) {
                            batchSeenTwice[0]++;
                        } else if (topic.equals(topics.requestFailed())) {
                            failed++;
                        }
                        continue;
                    }
                    if (topic.equals(topics.promptCreated())) {
                        PromptCreated p = serde.deserialize(record.value(), PromptCreated.class);
                        prompted.putIfAbsent(p.getRequestId(), now);
                        Long sent = published.get(p.getRequestId());
                        if (sent != null) {
                            promptLatency.record(now - sent);
                        }
                    } else if (topic.equals(topics.imageReady())) {
                        ImageReady r = serde.deserialize(record.value(), ImageReady.class);
                        if (ready.putIfAbsent(r.getRequestId(), now) == null) {
                            Long sent = published.get(r.getRequestId());
                            Long prompt = prompted.get(r.getRequestId());
                            if (prompt != null) {
                                imageLatency.record(now - prompt);
                            }
                            if (sent != null) {
                                endToEnd.record(now - sent);
                                long apiNanos = (r.getPromptLatencyMs() + r.getImageLatencyMs()) * 1_000_000L;
                                overhead.record(Math.max(0, now - sent - apiNanos));
                            }
                        }
                    } else {
                        RequestFailed f = serde.deserialize(record.value(), RequestFailed.class);
                        progress.printf("  failed: %s %s %s%n", f.getRequestId(), f.getErrorCode(), f.getMessage());
                        failed++;
                    }
                }
                if (System.nanoTime() - lastReport > 2_000_000_000L) {
                    lastReport = System.nanoTime();
                    progress.printf("  %d published, %d prompts, %d images, %d batch images, %d failed%n", published.size(),
                            prompted.size(), ready.size(), batchReady.size(), failed);
                }
            }
            publisher.join();
        }
        if (ready.size() + batchReady.size() + failed < requests) {
            throw new IllegalStateException("bench timed out: " + (ready.size() + batchReady.size()) + " of " + requests + " ready");
        }
        if (!batchIds.isEmpty()) {
            // What the simulator billed for each batch request: one batch line, and no synchronous call.
            long once = batchIds.stream().filter(id -> simulator.billedInBatch(OpenAiSimulator.Endpoint.IMAGES, id) == 1).count();
            long twice = batchIds.stream().filter(id -> simulator.billedInBatch(OpenAiSimulator.Endpoint.IMAGES, id) > 1).count();
            long interactive = batchIds.stream().filter(id -> simulator.billed(OpenAiSimulator.Endpoint.IMAGES, id) > 0).count();
            progress.printf("batch requests: %d, %d image-ready, %d image-ready seen twice; billed in a batch once %d, more than "
                    + "once %d; drawn interactively %d%n", batchIds.size(), batchReady.size(), batchSeenTwice[0], once, twice, interactive);
        }
        long firstSent = published.entrySet().stream().filter(e -> !batchIds.contains(e.getKey()))
                .mapToLong(Map.Entry::getValue).min().orElse(0);
        long firstPrompt = prompted.values().stream().mapToLong(Long::longValue).min().orElse(0);
        long lastPrompt = prompted.values().stream().mapToLong(Long::longValue).max().orElse(0);
        long lastReady = ready.values().stream().mapToLong(Long::longValue).max().orElse(0);

        double chatLimit = o.maxInFlight() / secs(o.chatLatency());
        double imageLimit = o.maxInFlight() / secs(o.imageLatency());
        if (o.imagesPerMinute() > 0) {
            imageLimit = Math.min(imageLimit, o.imagesPerMinute() / 60.0);
        }
        StageFigures prompt = StageFigures.of("prompt", prompted.size(), firstSent, lastPrompt, chatLimit, promptLatency);
        StageFigures image = StageFigures.of("image", ready.size(), firstPrompt, lastReady, imageLimit, imageLatency);
        StageFigures e2e = StageFigures.of("end to end", ready.size(), firstSent, lastReady, Math.min(chatLimit, imageLimit), endToEnd);
        StageFigures batch = batchIds.isEmpty() ? null : StageFigures.of("batch e2e", batchReady.size(), firstSent,
                batchReady.values().stream().mapToLong(Long::longValue).max().orElse(0), Double.NaN, batchLatency);
        // The ceiling of the image stage's ratio on this workload; under a rate limit the in-flight bound is not the limit.
        double ideal = o.imagesPerMinute() > 0 ? Double.NaN : IdealStage.ratio(prompted.values().stream().mapToLong(Long::longValue)
                .toArray(), o.maxInFlight(), o.imageLatency(), o.jitter(), 20, 1);
        return new Result(o, prompt, image, e2e, overhead, failed, simulator.rateLimitedCalls() - rateLimitedBefore,
                simulator.totalCalls(OpenAiSimulator.Endpoint.IMAGES) - imageCallsBefore, Map.of(), Map.of(), batch, ideal);
    }

    private static double secs(Duration d) {
        return Math.max(1e-9, d.toNanos() / 1e9);
    }

    /** Publishes the requests, all at once or at {@code publishRate} per second. */
    private void publish(KafkaConfig kafka, Topics topics, EventSerde serde, Map<String, Long> published, java.util.Set<String> batchIds,
                         String prefix, int requests, boolean withBatch) {
        try (var producer = new KafkaProducer<>(kafka.with(Map.of(ProducerConfig.LINGER_MS_CONFIG, "1")),
                new StringSerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                if (o.publishRate() > 0) {
                    long due = start + (long) (i * 1e9 / o.publishRate());
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                }
                String id = prefix + i;
                boolean batch = withBatch && o.batchShare() > 0 && o.batch(i);
                KeywordRequested request = KeywordRequested.newBuilder().setRequestId(id)
                        .setKeyword(KEYWORDS[i % KEYWORDS.length]).setRequestedAt(Instant.now()).setSourceSystem("bench")
                        .setPriority(batch ? Priorities.BATCH : null).build();
                if (batch) {
                    batchIds.add(id);
                }
                byte[] value = serde.serialize(topics.keywordRequested(), request);
                published.put(id, System.nanoTime());
                producer.send(new ProducerRecord<>(topics.keywordRequested(), id, value));
            }
            producer.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final String[] KEYWORDS = {"겨울밤의 파리", "Kyoto in autumn rain", "Lisbon trams at dusk",
            "Reykjavik northern lights", "Marrakesh spice market", "Havana sunset"};

    /** Waits until every group has members with partitions: the workers are consuming. */
    private void awaitAssigned(KafkaConfig kafka, List<String> groups, List<WorkerProcess> workers) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        try (Admin admin = Admin.create(kafka.with(Map.of()))) {
            while (true) {
                for (WorkerProcess w : workers) {
                    if (!w.isAlive()) {
                        throw new IllegalStateException(w.name() + " exited at start; see its log in " + o.dataDir());
                    }
                }
                boolean all;
                try {
                    Map<String, ConsumerGroupDescription> described = admin.describeConsumerGroups(groups).all().get();
                    all = described.values().stream().allMatch(d -> d.members().stream()
                            .anyMatch(m -> !m.assignment().topicPartitions().isEmpty()));
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!(e.getCause() instanceof org.apache.kafka.common.errors.GroupIdNotFoundException)) {
                        throw e;
                    }
                    all = false; // not joined yet
                }
                if (all) {
                    return;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the workers did not join their groups within 90 s; see their logs in " + o.dataDir());
                }
                Thread.sleep(200);
            }
        }
    }
}
