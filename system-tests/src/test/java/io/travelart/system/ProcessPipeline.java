package io.travelart.system;

import io.travelart.cli.records.CommittedRecords;
import io.travelart.cli.records.FailedRequests;
import io.travelart.cli.records.RequestPublisher;
import io.travelart.cli.TravelartCli;
import io.travelart.cli.bench.WorkerProcess;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.devstack.DevStack;
import io.travelart.devstack.kafka.EmbeddedKafka;
import io.travelart.devstack.Stack;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.events.KeywordRequested;
import io.travelart.events.RequestFailed;
import org.junit.jupiter.api.Assumptions;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The pipeline as it runs in production, for fault tests: the broker (or a cluster of them), the registry and the
 * simulator here, and each worker as its own OS process (the jars the build made), so that a kill is a real kill.
 * The stack's topics have the default names; each test tells its requests apart by their ids.
 *
 * @param <S> the stack it runs on: the embedded one, or one with a cluster of brokers
 */
final class ProcessPipeline<S extends Stack> implements AutoCloseable {

    /** What a fault test reports: requests, lost, duplicated, paid twice. */
    record Figures(int requests, int ready, int lost, int duplicated, long paidTwice) {
        @Override
        public String toString() {
            return requests + " requests, " + ready + " image-ready, " + lost + " lost, " + duplicated + " duplicated, "
                    + paidTwice + " images paid twice";
        }
    }

    static final int PARTITIONS = 6;

    /** The workers' logs stay after the run (the data does not), to read when a fault test fails. */
    static final Path LOGS = Path.of("target", "fault-logs", Long.toString(System.currentTimeMillis()));

    private final Path dir;
    private final S stack;
    private final KafkaConfig kafka;
    private final Topics topics = Topics.DEFAULT;
    private final EventSerde serde;
    private final List<WorkerProcess> workers = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();
    private final AtomicInteger started = new AtomicInteger();

    private ProcessPipeline(Path dir, S stack) {
        this.dir = dir;
        this.stack = stack;
        Settings settings = Settings.of(stack.environment());
        this.kafka = KafkaConfig.from(settings);
        this.serde = new EventSerde(new SchemaRegistryClient(RegistryConfig.from(settings)), true);
    }

    static ProcessPipeline<DevStack<EmbeddedKafka>> start(SimulatorSettings simulator) {
        requireWorkerJars();
        try {
            Path dir = Files.createTempDirectory("travelart-faults");
            return on(DevStack.start(dir, Optional.of(simulator)), dir, (short) 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void requireWorkerJars() {
        for (String worker : List.of("prompt-worker", "image-worker")) {
            Path jar = Path.of("..", worker, "target", worker + ".jar");
            Assumptions.assumeTrue(Files.isRegularFile(jar), jar + " is not built: the fault tests run the worker jars (mvn verify, not mvn test)");
        }
    }

    /** On a stack started already, its data under {@code dir} (both go when the pipeline closes); the topics made with this replication. */
    static <S extends Stack> ProcessPipeline<S> on(S stack, Path dir, short replication) {
        try {
            ProcessPipeline<S> pipeline = new ProcessPipeline<>(dir, stack);
            try (TopicSetup setup = new TopicSetup(pipeline.kafka, Duration.ofSeconds(30))) {
                setup.create(pipeline.topics, PARTITIONS, replication);
            }
            return pipeline;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    S stack() {
        return stack;
    }

    OpenAiSimulator simulator() {
        return stack.simulator().orElseThrow();
    }

    Path imageDir() {
        return dir.resolve("images");
    }

    /** Starts a worker jar; the same {@code instance} after a crash is the same instance restarted. */
    WorkerProcess worker(String name, String instance, Map<String, String> settings) throws IOException {
        Map<String, String> env = new HashMap<>(stack.environment());
        env.put("TRAVELART_INSTANCE_ID", instance);
        env.put("TRAVELART_IMAGE_DIR", imageDir().toString());
        env.put("TRAVELART_IMAGE_HTTP_HOST", "127.0.0.1");
        env.put("TRAVELART_IMAGE_HTTP_PORT", "0");
        env.put("TRAVELART_MANAGEMENT_PORT", "0");
        env.putAll(settings);
        Path log = LOGS.resolve(name + "-" + instance + "-" + started.incrementAndGet() + ".log");
        logs.add(log);
        WorkerProcess worker = WorkerProcess.start(name, env, "512m", log);
        workers.add(worker);
        return worker;
    }

    /** The log files of the workers started so far. */
    List<Path> logs() {
        return List.copyOf(logs);
    }

    /** Publishes one request with exactly this keyword; returns its id. */
    String publishKeyword(String keyword) {
        try (RequestPublisher publisher = new RequestPublisher(kafka, serde, topics.keywordRequested())) {
            KeywordRequested request = RequestPublisher.request(keyword, null, "en-US", null, "fault-test");
            publisher.publish(request);
            return request.getRequestId();
        }
    }

    /** The partitions the members of a consumer group hold, by group instance id (static member), now. */
    Map<String, Integer> assignedPartitions(String group) throws Exception {
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(kafka.with(Map.of()))) {
            var description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            Map<String, Integer> held = new HashMap<>();
            description.members().forEach(m -> held.put(m.groupInstanceId().orElse(m.consumerId()), m.assignment().topicPartitions().size()));
            return held;
        }
    }

    List<String> publish(int count, String label) {
        return publish(count, label, null);
    }

    /** @param priority interactive, batch, or null (interactive) */
    List<String> publish(int count, String label, String priority) {
        List<String> ids = new ArrayList<>();
        try (RequestPublisher publisher = new RequestPublisher(kafka, serde, topics.keywordRequested())) {
            for (int i = 0; i < count; i++) {
                KeywordRequested request = RequestPublisher.request(label + " " + i, null, "en-US", null, "fault-test");
                request.setPriority(priority);
                publisher.publish(request);
                ids.add(request.getRequestId());
            }
        }
        return ids;
    }

    /** Publishes bytes as they are under this key, as a broken producer would; returns the key. */
    String send(String key, byte[] value) {
        return send(topics.keywordRequested(), key, value);
    }

    /** Publishes bytes as they are under this key to a topic; returns the key. */
    String send(String topic, String key, byte[] value) {
        try (RequestPublisher publisher = new RequestPublisher(kafka, serde, topic)) {
            publisher.send(key, value);
        }
        return key;
    }

    EventSerde serde() {
        return serde;
    }

    KafkaConfig kafka() {
        return kafka;
    }

    Topics topics() {
        return topics;
    }

    /** The request ids of the committed prompt-created events. */
    Set<String> promptCreatedIds() {
        return CommittedRecords.keyCounts(kafka, topics.promptCreated()).keySet();
    }

    /** How many committed request-failed events have each of these keys (a record that is not Avro keeps its key). */
    Map<String, Integer> failuresByKey(Collection<String> keys) {
        Map<String, Integer> counts = new HashMap<>(CommittedRecords.keyCounts(kafka, topics.requestFailed()));
        counts.keySet().retainAll(keys);
        return counts;
    }

    /** How many committed image-ready events each request id has. */
    Map<String, Integer> readyCounts() {
        return CommittedRecords.keyCounts(kafka, topics.imageReady());
    }

    /** The committed failures of these requests. */
    List<RequestFailed> failures(Collection<String> ids) {
        return FailedRequests.read(kafka, serde, topics.requestFailed(), FailedRequests.Filter.NONE, problem -> {
        }).stream().filter(f -> ids.contains(f.getRequestId())).toList();
    }

    Figures figures(Collection<String> ids) {
        Map<String, Integer> ready = readyCounts();
        int lost = (int) ids.stream().filter(id -> !ready.containsKey(id)).count();
        int duplicated = (int) ids.stream().filter(id -> ready.getOrDefault(id, 0) > 1).count();
        long paidTwice = ids.stream().filter(id -> simulator().billed(OpenAiSimulator.Endpoint.IMAGES, id) > 1).count();
        return new Figures(ids.size(), ids.size() - lost, lost, duplicated, paidTwice);
    }

    /** Runs the travelart command against this stack, as an operator would. */
    CliRun cli(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--bootstrap-servers", stack.bootstrapServers(), "--registry-url", stack.registryUrl()));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = TravelartCli.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int code = cli.execute(all.toArray(String[]::new));
        return new CliRun(code, out.toString(), err.toString());
    }

    record CliRun(int exitCode, String out, String err) {
    }

    /** Stops what is still running; a test that passed has stopped its workers itself and checked how. */
    void stopWorkers() throws InterruptedException {
        for (WorkerProcess worker : workers) {
            if (worker.isAlive()) {
                worker.stop();
            }
        }
        workers.clear();
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stopWorkers();
        } finally {
            stack.close();
            deleteRecursively(dir);
        }
    }

    private static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Only a temporary directory left behind.
        }
    }
}
