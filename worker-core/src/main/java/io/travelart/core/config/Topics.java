package io.travelart.core.config;

import java.util.List;
import java.util.Map;

/**
 * The five topics of the pipeline; names configurable with {@code TRAVELART_TOPIC_*}. Four carry a request from its
 * ask to its end; {@code request-cancelled} is compacted: the requests someone asked to stop, by id.
 */
public record Topics(String keywordRequested, String promptCreated, String imageReady, String requestFailed,
                     String requestCancelled) {

    public static final Topics DEFAULT = new Topics("keyword-requested", "prompt-created", "image-ready", "request-failed",
            "request-cancelled");

    /**
     * How long a cancel is kept: past it, the request has long ended (the batch lane waits a day at most). Compaction
     * keeps the latest record of each request; deletion then drops cancels older than this, and their withdrawals.
     */
    public static final long CANCEL_RETENTION_MS = 7L * 24 * 3600 * 1000;

    public static Topics from(Settings settings) {
        return new Topics(
                settings.string("TRAVELART_TOPIC_KEYWORD_REQUESTED", DEFAULT.keywordRequested),
                settings.string("TRAVELART_TOPIC_PROMPT_CREATED", DEFAULT.promptCreated),
                settings.string("TRAVELART_TOPIC_IMAGE_READY", DEFAULT.imageReady),
                settings.string("TRAVELART_TOPIC_REQUEST_FAILED", DEFAULT.requestFailed),
                settings.string("TRAVELART_TOPIC_REQUEST_CANCELLED", DEFAULT.requestCancelled));
    }

    public List<String> all() {
        return List.of(keywordRequested, promptCreated, imageReady, requestFailed, requestCancelled);
    }

    /** The settings a topic is created with beyond the broker's defaults: none but the cancels'. */
    public Map<String, String> configs(String topic) {
        return topic.equals(requestCancelled)
                ? Map.of("cleanup.policy", "compact,delete", "retention.ms", Long.toString(CANCEL_RETENTION_MS))
                : Map.of();
    }
}
