package io.travelart.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.config.ConfigException;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.worker.ManagementServer;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.time.Time;
import io.travelart.core.worker.StartupException;
import org.apache.kafka.common.acl.AclOperation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The HTTP API running: its idempotency topic made if missing, its {@link Intake} and its {@link ApiServer}. */
public final class Api implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Api.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Intake intake;
    private final StatusIndex index;
    private final ApiServer server;
    private final ManagementServer management;
    private final WorkerMetrics metrics;

    private Api(Intake intake, StatusIndex index, ApiServer server, ManagementServer management, WorkerMetrics metrics) {
        this.intake = intake;
        this.index = index;
        this.server = server;
        this.management = management;
        this.metrics = metrics;
    }

    /** The API's transactional id: one per instance, under the prefix its ACL names ({@code travelart-api-}). */
    public static String transactionalId(String instanceId) {
        return "travelart-api-" + instanceId;
    }

    /**
     * @param lookups where a request is, read from Kafka ({@code RequestLookup} in the command): for what the API's status
     *                index cannot tell
     * @throws StartupException in one line when a key setting is missing, Kafka or an ACL refuses, or the port is taken
     */
    public static Api start(ApiConfig config, Statuses lookups) {
        WorkerMetrics metrics = WorkerMetrics.prometheus("api", config.instanceId(), config.prices());
        MeterRegistry registry = metrics.registry();
        if (config.keys().isEmpty()) {
            throw new ConfigException("TRAVELART_API_KEYS is empty: no client could call the API (make a key with "
                    + "'travelart api --new-key SOURCE')");
        }
        try (TopicSetup topics = new TopicSetup(config.kafka(), Duration.ofSeconds(15), Time.SYSTEM)) {
            topics.ensure(config.idempotencyTopic(), 3, Map.of("cleanup.policy", "compact,delete",
                    "retention.ms", Long.toString(ApiConfig.IDEMPOTENCY_RETENTION_MS)));
            topics.requireAccess(new TopicSetup.Access(Map.of(
                    config.topics().keywordRequested(), Set.of(AclOperation.WRITE),
                    config.topics().requestCancelled(), Set.of(AclOperation.WRITE),
                    config.idempotencyTopic(), Set.of(AclOperation.READ, AclOperation.WRITE)),
                    Map.of(), List.of(transactionalId(config.instanceId()))));
        } catch (KafkaSetupException e) {
            throw new StartupException(e.getMessage(), e);
        }
        EventSerde serde = new EventSerde(new SchemaRegistryClient(config.registry(), Time.SYSTEM), config.registry().autoRegister(),
                1024 * 1024);
        Intake intake;
        try {
            intake = new Intake(config.kafka(), serde, config.topics().keywordRequested(), config.idempotencyTopic(),
                    config.topics().requestCancelled(), transactionalId(config.instanceId()), TIMEOUT, Time.SYSTEM);
        } catch (RuntimeException e) {
            throw new StartupException("API: cannot start publishing: " + e.getMessage(), e);
        }
        StatusIndex index;
        try {
            index = new StatusIndex(config.kafka(), serde, config.topics(), config.prices(), config.keys().sources(), config.indexWindow(),
                    config.indexSize(), lookups, Time.SYSTEM, registry);
        } catch (RuntimeException e) {
            intake.close();
            throw new StartupException("API: cannot start its status index: " + e.getMessage(), e);
        }
        try {
            ApiServer server = new ApiServer(config.host(), config.port(), config.keys(), config.ratePerMinute(), intake, index,
                    config.keywordMax(), Time.SYSTEM, registry);
            ManagementServer management;
            try {
                management = ManagementServer.start(config.managementHost(), config.managementPort(), metrics,
                        () -> new ManagementServer.Health() {
                            @Override
                            public Optional<String> notLive() {
                                return Optional.empty();
                            }

                            @Override
                            public Optional<String> notReady() {
                                return index.isCaughtUp() ? intake.problem() : Optional.of("the status index is still reading");
                            }
                        });
            } catch (IOException e) {
                server.close();
                throw new StartupException("API: metrics and health endpoints: cannot listen on " + config.managementHost() + ":"
                        + config.managementPort() + " (TRAVELART_MANAGEMENT_PORT): " + e.getMessage(), e);
            }
            log.info("API on {}:{} ({} keys, {} requests a minute per key); metrics and health on port {}", config.host(), server.port(),
                    config.keys().size(), config.ratePerMinute(), management.port());
            return new Api(intake, index, server, management, metrics);
        } catch (IOException | RuntimeException e) {
            index.close();
            intake.close();
            if (e instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new StartupException("API: cannot listen on " + config.host() + ":" + config.port() + " (TRAVELART_API_PORT): "
                    + e.getMessage(), e);
        }
    }

    public int port() {
        return server.port();
    }

    /** The port of {@code /metrics} and {@code /health/*}. */
    public int managementPort() {
        return management.port();
    }

    @Override
    public void close() {
        server.close();
        management.close();
        index.close();
        intake.close();
    }
}
