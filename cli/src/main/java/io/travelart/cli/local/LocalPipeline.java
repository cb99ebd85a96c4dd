package io.travelart.cli.local;

import io.travelart.cli.records.RequestPublisher;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.worker.Worker;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.devstack.Stack;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;
import io.travelart.core.results.ResultWatcher;
import io.travelart.image.app.ImageWorker;
import io.travelart.image.app.ImageWorkerConfig;
import io.travelart.prompt.app.PromptWorker;
import io.travelart.prompt.app.PromptWorkerConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The whole pipeline on this machine: the dev stack, the five topics, and both workers in this JVM,
 * configured exactly as the worker programs are (through their settings). Used by {@code travelart demo}
 * and by the end-to-end tests.
 */
public final class LocalPipeline implements AutoCloseable {

    private final Stack stack;
    private final KafkaConfig kafka;
    private final Topics topics;
    private final Worker<KeywordRequested, PromptCreated> promptWorker;
    private final ImageWorker imageWorker;
    private final EventSerde serde;

    private LocalPipeline(Stack stack, KafkaConfig kafka, Topics topics, Worker<KeywordRequested, PromptCreated> promptWorker,
                          ImageWorker imageWorker,
                          EventSerde serde) {
        this.stack = stack;
        this.kafka = kafka;
        this.topics = topics;
        this.promptWorker = promptWorker;
        this.imageWorker = imageWorker;
        this.serde = serde;
    }

    /**
     * @param dataDir    where Kafka's data, the registry log and the images go
     * @param simulator  the simulator's settings, or empty to use the real API (then {@code overrides} must hold OPENAI_API_KEY)
     * @param overrides  worker settings on top of the stack's addresses, e.g. {@code TRAVELART_MAX_IN_FLIGHT}
     */
    public static LocalPipeline start(Path dataDir, int partitions, Optional<SimulatorSettings> simulator,
                                      Map<String, String> overrides) {
        return start(DevStack.start(dataDir, simulator), dataDir, partitions, overrides);
    }

    /**
     * The workers on a stack that is running already (this pipeline closes it).
     *
     * @param dataDir where the images go
     */
    public static LocalPipeline start(Stack stack, Path dataDir, int partitions, Map<String, String> overrides) {
        return start(stack, dataDir, partitions, overrides, Map.of(), Map.of());
    }

    /**
     * With settings for one worker only on top, e.g. each worker's own Kafka principal on a secured cluster (the
     * pipeline's own clients use {@code overrides}).
     */
    public static LocalPipeline start(Stack stack, Path dataDir, int partitions, Map<String, String> overrides,
                                      Map<String, String> promptWorker, Map<String, String> imageWorker) {
        try {
            Map<String, String> values = workerSettings(stack, dataDir);
            values.putAll(overrides);
            Settings settings = Settings.of(values);
            KafkaConfig kafka = KafkaConfig.from(settings);
            Topics topics = Topics.from(settings);
            try (TopicSetup setup = new TopicSetup(kafka, Duration.ofSeconds(30))) {
                setup.create(topics, partitions, (short) 1);
            }
            Worker<KeywordRequested, PromptCreated> prompt = PromptWorker.start(PromptWorkerConfig.from(with(values, promptWorker)));
            ImageWorker image;
            try {
                image = ImageWorker.start(ImageWorkerConfig.from(with(values, imageWorker)));
            } catch (RuntimeException e) {
                prompt.close();
                throw e;
            }
            EventSerde serde = new EventSerde(new SchemaRegistryClient(RegistryConfig.from(settings)), true);
            return new LocalPipeline(stack, kafka, topics, prompt, image, serde);
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    /**
     * What a worker on this machine is given: the stack's addresses, an instance id, the images under {@code dataDir}, and
     * free loopback ports for its servers (two workers in one JVM each take their own).
     */
    public static Map<String, String> workerSettings(Stack stack, Path dataDir) {
        Map<String, String> values = new HashMap<>(stack.environment());
        values.put("TRAVELART_INSTANCE_ID", "local");
        values.put("TRAVELART_IMAGE_DIR", dataDir.resolve("images").toString());
        values.put("TRAVELART_IMAGE_HTTP_HOST", "127.0.0.1");
        values.put("TRAVELART_IMAGE_HTTP_PORT", "0");
        values.put("TRAVELART_MANAGEMENT_HOST", "127.0.0.1");
        values.put("TRAVELART_MANAGEMENT_PORT", "0");
        return values;
    }

    private static Settings with(Map<String, String> values, Map<String, String> more) {
        Map<String, String> all = new HashMap<>(values);
        all.putAll(more);
        return Settings.of(all);
    }

    public Stack stack() {
        return stack;
    }

    public KafkaConfig kafka() {
        return kafka;
    }

    public Topics topics() {
        return topics;
    }

    public EventSerde serde() {
        return serde;
    }

    public ImageWorker imageWorker() {
        return imageWorker;
    }

    /** Where each worker's {@code /metrics} and {@code /health/*} are, by worker name. */
    public Map<String, String> managementUrls() {
        return Map.of(PromptWorker.NAME, "http://127.0.0.1:" + promptWorker.managementPort(),
                ImageWorker.NAME, "http://127.0.0.1:" + imageWorker.managementPort());
    }

    public RequestPublisher publisher() {
        return new RequestPublisher(kafka(), serde, topics().keywordRequested());
    }

    public ResultWatcher watcher(boolean fromBeginning) {
        return new ResultWatcher(kafka(), serde, topics(), fromBeginning, ignored -> { });
    }

    @Override
    public void close() {
        try {
            promptWorker.close();
            imageWorker.close();
        } finally {
            stack.close();
        }
    }
}
