package io.travelart.api;

import io.micrometer.core.instrument.MeterRegistry;
import io.travelart.core.config.ConfigException;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.kafka.TopicSetup;
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
import java.util.Set;

/** The HTTP API running: its idempotency topic made if missing, its {@link Intake} and its {@link ApiServer}. */
public final class Api implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Api.class);
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final Intake intake;
    private final StatusIndex index;
    private final ApiServer server;

    private Api(Intake intake, StatusIndex index, ApiServer server) {
        this.intake = intake;
        this.index = index;
        this.server = server;
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
    public static Api start(ApiConfig config, Statuses lookups, MeterRegistry registry) {
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
            log.info("API on {}:{} ({} keys, {} requests a minute per key)", config.host(), server.port(), config.keys().size(),
                    config.ratePerMinute());
            return new Api(intake, index, server);
        } catch (IOException e) {
            index.close();
            intake.close();
            throw new StartupException("API: cannot listen on " + config.host() + ":" + config.port() + " (TRAVELART_API_PORT): "
                    + e.getMessage(), e);
        }
    }

    public int port() {
        return server.port();
    }

    @Override
    public void close() {
        server.close();
        index.close();
        intake.close();
    }
}
