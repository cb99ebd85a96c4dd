package io.travelart.api;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.config.Settings;
import io.travelart.core.config.Topics;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.metrics.PriceTable;

import java.time.Duration;
import io.travelart.events.RequestBounds;

/**
 * The API's settings: where it listens ({@code TRAVELART_API_HOST}, {@code TRAVELART_API_PORT}), its keys
 * ({@code TRAVELART_API_KEYS}), each key holder's rate ({@code TRAVELART_API_RATE_PER_MINUTE}), its idempotency topic
 * ({@code TRAVELART_TOPIC_API_IDEMPOTENCY}), its instance id (for its transactional id), the keyword's bound as the
 * prompt-worker has it, its status index ({@code TRAVELART_API_INDEX_WINDOW} back from its start,
 * {@code TRAVELART_API_INDEX_SIZE} requests at most), the price table, where its metrics and health are served
 * ({@code TRAVELART_MANAGEMENT_HOST}, {@code TRAVELART_MANAGEMENT_PORT}, 9402), and Kafka, the registry and the topics as the
 * workers read them.
 */
public record ApiConfig(String host, int port, ApiKeys keys, int ratePerMinute, String idempotencyTopic, String instanceId,
                        int keywordMax, Duration indexWindow, int indexSize, PriceTable prices, String managementHost,
                        int managementPort, KafkaConfig kafka, RegistryConfig registry, Topics topics) {

    /** How long an idempotency key is kept: a day, as most payment APIs do. */
    public static final long IDEMPOTENCY_RETENTION_MS = 24L * 3600 * 1000;

    public static ApiConfig from(Settings settings) {
        // Read by the travelart command before logging starts (json: to the console); checked here, as the workers do.
        String logFormat = settings.string("TRAVELART_LOG_FORMAT", "text");
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("TRAVELART_LOG_FORMAT is '" + logFormat + "'; expected text or json");
        }
        return new ApiConfig(
                settings.string("TRAVELART_API_HOST", "0.0.0.0"),
                settings.intValue("TRAVELART_API_PORT", 8080, 0, 65535),
                ApiKeys.parse(settings.optional("TRAVELART_API_KEYS").orElse(null)),
                settings.intValue("TRAVELART_API_RATE_PER_MINUTE", 600, 1, 1_000_000),
                settings.string("TRAVELART_TOPIC_API_IDEMPOTENCY", "api-idempotency"),
                settings.string("TRAVELART_INSTANCE_ID", java.util.UUID.randomUUID().toString().substring(0, 8)),
                settings.intValue("TRAVELART_KEYWORD_MAX_LENGTH", 200, 1, RequestBounds.KEYWORD_MAX),
                settings.duration("TRAVELART_API_INDEX_WINDOW", Duration.ofHours(6)),
                settings.intValue("TRAVELART_API_INDEX_SIZE", 20_000, 0, 1_000_000),
                WorkerConfig.prices(settings),
                settings.string("TRAVELART_MANAGEMENT_HOST", "0.0.0.0"),
                settings.intValue("TRAVELART_MANAGEMENT_PORT", 9402, 0, 65535),
                KafkaConfig.from(settings), RegistryConfig.from(settings), Topics.from(settings));
    }
}
