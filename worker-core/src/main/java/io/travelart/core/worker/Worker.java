package io.travelart.core.worker;

import io.micrometer.core.instrument.Gauge;
import io.travelart.core.cancel.Cancellations;
import io.travelart.core.config.ConfigException;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.engine.Stage;
import io.travelart.core.engine.EngineClients;
import io.travelart.core.engine.StageEngine;
import io.travelart.core.time.Time;
import io.travelart.core.engine.StageGate;
import io.travelart.core.http.HttpServers;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.registry.RegistryException;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.events.RequestFailed;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Set;
import java.util.Map;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A running stage: checks that Kafka answers, the topics exist and the registry knows the schemas it
 * writes, then runs the {@link StageEngine} on its own thread until closed, with its metrics and health
 * endpoints ({@link ManagementServer}) beside it.
 */
public final class Worker<I extends SpecificRecord, O extends SpecificRecord> implements Running {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    /** The readiness gauge: 1 while {@code /health/ready} would answer 200. */
    public static final String READY = "travelart.ready";
    /** The instance's TRAVELART_MAX_IN_FLIGHT, by stage. */
    public static final String MAX_IN_FLIGHT = "travelart.calls.max";

    /** The consumer group of a worker's stage (the group KEDA's lag trigger names). */
    public static String groupId(String workerName) {
        return "travelart-" + workerName;
    }

    /** The stage's transactional id: one per instance, under the prefix its ACL names ({@code travelart-<worker>-}). */
    static String transactionalId(String workerName, String instanceId) {
        return "travelart-" + workerName + "-" + instanceId;
    }

    /** How often a timer asks the registry, for readiness: probes come every few seconds and must not wait for it. */
    private static final Duration REGISTRY_CHECK_EVERY = Duration.ofSeconds(5);

    private final StageEngine<I, O> engine;
    private final SchemaRegistryClient registry;
    private final StageGate gate;
    private final CompletableFuture<Void> finished = new CompletableFuture<>();
    private volatile ManagementServer management;
    private volatile String registryProblem;
    /** What readiness asks the registry for: the schema this worker writes, which a subject-scoped key may read. */
    private final int outputSchemaId;
    /** What else keeps the worker from being ready (a part of the stage beside the engine, such as a batch lane). */
    private final List<Supplier<Optional<String>>> readyChecks = new CopyOnWriteArrayList<>();

    private Worker(StageEngine<I, O> engine, SchemaRegistryClient registry, int outputSchemaId, StageGate gate) {
        this.engine = engine;
        this.registry = registry;
        this.outputSchemaId = outputSchemaId;
        this.gate = gate;
    }

    /**
     * The gate of a stage: the calls report to it, the engine asks it, readiness shows why it is paused.
     * Its free probe runs on its own thread, which {@code closeWith} (the worker's resources) stops.
     */
    public static StageGate gate(String stageName, WorkerConfig config, StageGate.Probe probe, Time time, WorkerMetrics metrics,
                                 java.util.List<AutoCloseable> closeWith) {
        java.util.concurrent.ExecutorService probes = java.util.concurrent.Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, stageName.toLowerCase(java.util.Locale.ROOT) + "-probe");
            t.setDaemon(true);
            return t;
        });
        closeWith.add(probes::shutdownNow);
        return new StageGate(stageName, new StageGate.Config(config.pauseFirstProbe(), config.pauseMaxProbe()), time,
                probe, probes, metrics.registry());
    }

    /**
     * What a stage reads and writes.
     *
     * @param inputTopics  the topics it reads
     * @param inputSchemas the schema each input topic's subject holds, registered (or looked up) at start so that a
     *                     publisher in any language reads the contract from the registry alone; a topic whose records
     *                     keep the schema ids of the topics they were first published to has none
     * @param outputTopic  where its outputs go
     * @param outputSchema the schema of those outputs
     * @param failedTopic  where its failure events ({@code RequestFailed}) go
     */
    public record Io(List<String> inputTopics, Map<String, Schema> inputSchemas, String outputTopic, Schema outputSchema,
                     String failedTopic) {
    }

    /**
     * @param name         program name, e.g. {@code prompt-worker}; also the consumer group, prefixed {@code travelart-}
     * @param inputTopic   topic read
     * @param outputTopic  topic the stage's outputs go to
     * @param outputSchema schema of those outputs
     * @param metrics      where the engine's and the stage's meters go; served with the health probes on
     *                     {@code TRAVELART_MANAGEMENT_PORT}
     * @param gate         the stage's gate ({@link #gate}): while it is paused the worker is not ready
     * @param cancels      the cancelled requests ({@link StageCalls#cancels}): each ends as a {@code CANCELLED} failure
     *                     before its call starts
     * @param resources    what the stage uses (API clients, call pools, servers): closed when the worker
     *                     stops, or at once if it cannot start
     */
    public static <I extends SpecificRecord, O extends SpecificRecord> Worker<I, O> start(
            String name, WorkerConfig config, Stage<I, O> stage, String inputTopic, String outputTopic,
            Schema outputSchema, Time time, WorkerMetrics metrics, StageGate gate, Cancellations cancels, AutoCloseable... resources) {
        var io = new Io(List.of(inputTopic), Map.of(inputTopic, SpecificData.get().getSchema(stage.inputType())), outputTopic, outputSchema,
                config.topics().requestFailed());
        return start(name, config, stage, io, time, metrics, gate, cancels, resources);
    }

    /** A stage that reads several topics, or sends its failures elsewhere than request-failed ({@link Io}). */
    public static <I extends SpecificRecord, O extends SpecificRecord> Worker<I, O> start(
            String name, WorkerConfig config, Stage<I, O> stage, Io io, Time time, WorkerMetrics metrics, StageGate gate,
            Cancellations cancels, AutoCloseable... resources) {
        Worker<I, O> worker;
        try {
            worker = start(name, config, stage, io, time, metrics, gate, cancels);
        } catch (RuntimeException e) {
            closeAll(name, resources);
            throw e;
        }
        worker.finished.whenComplete((ok, error) -> {
            closeAll(name, resources);
            if (worker.management != null) {
                worker.management.close();
            }
        });
        return worker;
    }

    /**
     * Closes what a worker's start had made when it fails before {@link #start} took them over (which closes them
     * itself when it fails): a process that cannot start exits anyway, but a worker started in a JVM that goes on (the
     * demo, the tests) must not leave its threads behind.
     */
    public static void closeAll(String name, java.util.Collection<AutoCloseable> resources) {
        closeAll(name, resources.toArray(AutoCloseable[]::new));
    }

    private static void closeAll(String name, AutoCloseable... resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("{}: closing {} failed: {}", name, resource, e.toString());
            }
        }
    }

    private static <I extends SpecificRecord, O extends SpecificRecord> Worker<I, O> start(
            String name, WorkerConfig config, Stage<I, O> stage, Io io, Time time, WorkerMetrics metrics, StageGate gate,
            Cancellations cancels) {
        log.info("{} starting: kafka {}, {}", name, config.kafka().describe(), config.registry());
        try (TopicSetup topics = new TopicSetup(config.kafka(), Duration.ofSeconds(15), time)) {
            // What the principal may do, which also says which topics do not exist.
            Map<String, Set<AclOperation>> access = new java.util.LinkedHashMap<>();
            io.inputTopics().forEach(topic -> access.put(topic, Set.of(AclOperation.READ)));
            access.put(io.outputTopic(), Set.of(AclOperation.WRITE));
            access.put(io.failedTopic(), Set.of(AclOperation.WRITE));
            topics.requireAccess(new TopicSetup.Access(access, Map.of(groupId(name), Set.of(AclOperation.READ)),
                    List.of(transactionalId(name, config.instanceId()))));
        } catch (KafkaSetupException e) {
            throw new StartupException(e.getMessage(), e);
        }
        SchemaRegistryClient registry = new SchemaRegistryClient(config.registry(), time);
        EventSerde serde = new EventSerde(registry, config.registry().autoRegister(), config.maxRecordBytes());
        int outputSchemaId;
        try {
            // The inputs' subjects too: a publisher in any language reads the contract from the registry alone.
            io.inputSchemas().forEach(serde::schemaId);
            outputSchemaId = serde.schemaId(io.outputTopic(), io.outputSchema());
            serde.schemaId(io.failedTopic(), RequestFailed.getClassSchema());
        } catch (RegistryException e) {
            String hint = e.isNotFound() && !config.registry().autoRegister()
                    ? " (TRAVELART_AUTO_REGISTER_SCHEMAS is false: register them first with 'travelart schemas register')" : "";
            throw new StartupException("schema registry: " + e.getMessage() + hint, e);
        }
        var engineConfig = new StageEngine.Config(io.inputTopics(), io.outputTopic(), io.failedTopic(),
                config.maxInFlight(), config.maxBuffered(), config.commitInterval(), config.drainGrace(), config.offsetMetadataMaxBytes());
        var identity = new EngineClients.Identity(groupId(name), name + "-" + config.instanceId(),
                transactionalId(name, config.instanceId()));
        StageEngine<I, O> engine = new StageEngine<>(stage, engineConfig, EngineClients.connect(config.kafka(), identity, metrics.registry()),
                serde, time, gate, cancels, metrics.registry());
        Worker<I, O> worker = new Worker<>(engine, registry, outputSchemaId, gate);
        // For dashboards and alerts: readiness as a gauge (what /health/ready answers), and the capacity the calls in
        // flight are measured against.
        Gauge.builder(READY, worker, w -> w.health().notReady().isEmpty() ? 1 : 0)
                .description("1 while the instance is ready (GET /health/ready answers 200), else 0").register(metrics.registry());
        Gauge.builder(MAX_IN_FLIGHT, config, WorkerConfig::maxInFlight).description("TRAVELART_MAX_IN_FLIGHT: the calls one instance runs at most")
                .tag("stage", stage.name()).register(metrics.registry());
        worker.checkRegistry();
        var registryChecks = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, name + "-registry-check");
            t.setDaemon(true);
            return t;
        });
        registryChecks.scheduleWithFixedDelay(worker::checkRegistry, REGISTRY_CHECK_EVERY.toMillis(), REGISTRY_CHECK_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
        worker.finished.whenComplete((ok, error) -> registryChecks.shutdownNow());
        try {
            worker.management = ManagementServer.start(config.managementHost(), config.managementPort(), metrics, worker::health);
        } catch (IOException e) {
            registryChecks.shutdownNow();
            engine.close();
            throw new StartupException("metrics and health endpoints: cannot listen on " + config.managementHost() + ":"
                    + config.managementPort() + " (TRAVELART_MANAGEMENT_PORT): " + e.getMessage(), e);
        }
        Thread thread = new Thread(() -> {
            try {
                engine.run();
                worker.finished.complete(null);
            } catch (Throwable t) {
                log.error("{} stopped: {}", name, t.toString(), t);
                worker.finished.completeExceptionally(t);
            }
        }, name + "-engine");
        thread.start();
        // Start-up as an orchestrator sees it: from the process's start (the JVM's uptime), not from main.
        log.info("{} started in {} ms: {} -> {} (instance {}, max in flight {}); metrics and health on port {}", name,
                java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime(), String.join(", ", io.inputTopics()), io.outputTopic(),
                config.instanceId(), config.maxInFlight(), worker.management.port());
        return worker;
    }

    /** Adds a reason not to be ready: readiness answers 503 with it while it says one (read on each probe: in memory only). */
    public void readyUnless(Supplier<Optional<String>> check) {
        readyChecks.add(check);
    }

    /** The port of {@code /metrics} and {@code /health/*}. */
    public int managementPort() {
        return management.port();
    }

    /** Live while the engine runs; ready once the group has assigned it, the registry answers and the stage is not paused. */
    private ManagementServer.Health health() {
        return new ManagementServer.Health() {
            @Override
            public Optional<String> notLive() {
                return finished.isDone() ? Optional.of("the stage engine has stopped") : Optional.empty();
            }

            @Override
            public Optional<String> notReady() {
                Optional<String> dead = notLive();
                if (dead.isPresent()) {
                    return dead;
                }
                if (!engine.isAssigned()) {
                    return Optional.of("not a member of its consumer group with an assignment yet");
                }
                Optional<String> paused = gate.pausedReason();
                if (paused.isPresent()) {
                    return paused;
                }
                for (Supplier<Optional<String>> check : readyChecks) {
                    Optional<String> problem = check.get();
                    if (problem.isPresent()) {
                        return problem;
                    }
                }
                return registryProblem();
            }
        };
    }

    private Optional<String> registryProblem() {
        return Optional.ofNullable(registryProblem);
    }

    /**
     * Asks the registry (on the timer's thread). What readiness says is only that it cannot be reached: the
     * registry's own error text (an address, a proxy's page) goes to the log, not to whoever asks /health/ready.
     */
    private void checkRegistry() {
        try {
            registry.ping(outputSchemaId);
            if (registryProblem != null) {
                log.info("schema registry answers again");
            }
            registryProblem = null;
        } catch (RuntimeException e) {
            if (registryProblem == null) {
                log.warn("schema registry cannot be reached; not ready until it can: {}", e.getMessage());
            }
            registryProblem = "the schema registry cannot be reached (the log says why)";
        }
    }

    @Override
    public CompletableFuture<Void> finished() {
        return finished;
    }

    @Override
    public void close() {
        engine.close();
    }

    /**
     * Runs a worker program: starts it, drains it on SIGTERM or Ctrl-C and exits 0, and exits non-zero
     * with one line on stderr when it cannot start or stops on an error.
     */
    public static void runMain(String name, java.util.function.Supplier<? extends Running> starter) {
        HttpServers.limitRequestTime();
        Running worker;
        try {
            worker = starter.get();
        } catch (ConfigException | StartupException e) {
            System.err.println(name + ": " + e.getMessage());
            System.exit(1);
            return;
        }
        // Handling the signals ourselves (not in a shutdown hook) lets the drain finish and the exit code be 0:
        // a JVM ended by SIGTERM exits 143 whatever its hooks do. sun.misc.Signal is what Kafka uses for this too.
        for (String signal : new String[]{"TERM", "INT"}) {
            sun.misc.Signal.handle(new sun.misc.Signal(signal), s -> {
                log.info("{}: SIG{} received, draining", name, signal);
                new Thread(worker::close, name + "-drain").start();
            });
        }
        try {
            worker.finished().join();
        } catch (RuntimeException e) {
            System.err.println(name + ": stopped on an error: " + e.getCause());
            System.exit(1);
        }
        log.info("{} stopped", name);
        System.exit(0);
    }
}
