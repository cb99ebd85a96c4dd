package io.travelart.webhook.app;

import io.travelart.core.call.RetryConfig;
import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.webhook.DeliveryStage;
import io.travelart.webhook.Endpoints;
import io.travelart.webhook.WebhookTopics;

import java.time.Duration;

/**
 * The webhook-worker's settings: the shared worker settings, the endpoints and their secrets
 * ({@code TRAVELART_WEBHOOK_ENDPOINTS}, {@code TRAVELART_WEBHOOK_SECRETS}: {@link Endpoints}), its topics
 * ({@link WebhookTopics}), the timeouts of one POST ({@code TRAVELART_WEBHOOK_CONNECT_TIMEOUT} 5s,
 * {@code TRAVELART_WEBHOOK_TIMEOUT} 10s to the answer's status), how long an event is tried
 * ({@code TRAVELART_WEBHOOK_RETRY_FOR} 15m, waits from {@code TRAVELART_WEBHOOK_BACKOFF_FIRST} 1s doubling to
 * {@code TRAVELART_WEBHOOK_BACKOFF_MAX} 1m, or what {@code Retry-After} asks), and each endpoint's share
 * ({@code TRAVELART_WEBHOOK_MAX_CONCURRENT_PER_ENDPOINT} 8 POSTs at once, {@code TRAVELART_WEBHOOK_MAX_HELD_PER_ENDPOINT}
 * events waiting, half of {@code TRAVELART_MAX_IN_FLIGHT} by default).
 */
public record WebhookWorkerConfig(WorkerConfig worker, Endpoints endpoints, WebhookTopics topics, Duration connectTimeout,
                                  Duration timeout, RetryConfig retry, DeliveryStage.Limits limits) {

    public static WebhookWorkerConfig from(Settings settings) {
        WorkerConfig worker = WorkerConfig.from(settings);
        Endpoints endpoints = Endpoints.parse(settings.optional("TRAVELART_WEBHOOK_ENDPOINTS").orElse(""),
                settings.optional("TRAVELART_WEBHOOK_SECRETS").orElse(""));
        if (endpoints.size() == 0) {
            throw new ConfigException("no webhook endpoints: set TRAVELART_WEBHOOK_ENDPOINTS (sourceSystem=https://…) and "
                    + "TRAVELART_WEBHOOK_SECRETS (sourceSystem=whsec_…; 'travelart webhooks new-secret' makes one)");
        }
        Duration first = settings.duration("TRAVELART_WEBHOOK_BACKOFF_FIRST", Duration.ofSeconds(1));
        Duration max = settings.duration("TRAVELART_WEBHOOK_BACKOFF_MAX", Duration.ofMinutes(1));
        if (max.compareTo(first) < 0) {
            throw new ConfigException("TRAVELART_WEBHOOK_BACKOFF_MAX (" + max + ") is shorter than TRAVELART_WEBHOOK_BACKOFF_FIRST ("
                    + first + ")");
        }
        // Attempts are bounded by the time they may take, not by a count: a receiver down for a while gets its events once back.
        var retry = new RetryConfig(Integer.MAX_VALUE, first, max, settings.duration("TRAVELART_WEBHOOK_RETRY_FOR", Duration.ofMinutes(15)),
                0.2);
        int maxHeld = settings.intValue("TRAVELART_WEBHOOK_MAX_HELD_PER_ENDPOINT", Math.max(1, worker.maxInFlight() / 2), 1,
                worker.maxInFlight());
        var limits = new DeliveryStage.Limits(settings.intValue("TRAVELART_WEBHOOK_MAX_CONCURRENT_PER_ENDPOINT", 8, 1, 1000), maxHeld);
        return new WebhookWorkerConfig(worker, endpoints, WebhookTopics.from(settings),
                settings.duration("TRAVELART_WEBHOOK_CONNECT_TIMEOUT", Duration.ofSeconds(5)),
                settings.duration("TRAVELART_WEBHOOK_TIMEOUT", Duration.ofSeconds(10)), retry, limits);
    }
}
