package io.travelart.webhook;

import io.travelart.core.config.Settings;

import java.util.List;

/**
 * The webhook-worker's own topics, names configurable with {@code TRAVELART_TOPIC_WEBHOOK_*}: the delivery log
 * ({@code webhook-delivered}, {@code WebhookDelivered}), what could not be delivered ({@code webhook-failed},
 * {@code RequestFailed} at stage WEBHOOK, carrying the event's record), and the events sent again
 * ({@code webhook-redeliver}, written by {@code travelart webhooks replay}, read by the worker beside image-ready and
 * request-failed).
 */
public record WebhookTopics(String delivered, String failed, String redeliver) {

    public static final WebhookTopics DEFAULT = new WebhookTopics("webhook-delivered", "webhook-failed", "webhook-redeliver");

    public static WebhookTopics from(Settings settings) {
        return new WebhookTopics(
                settings.string("TRAVELART_TOPIC_WEBHOOK_DELIVERED", DEFAULT.delivered),
                settings.string("TRAVELART_TOPIC_WEBHOOK_FAILED", DEFAULT.failed),
                settings.string("TRAVELART_TOPIC_WEBHOOK_REDELIVER", DEFAULT.redeliver));
    }

    public List<String> all() {
        return List.of(delivered, failed, redeliver);
    }
}
