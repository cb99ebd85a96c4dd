package io.travelart.core.config;

import java.util.List;

/** The four topics of the pipeline; names configurable with {@code TRAVELART_TOPIC_*}. */
public record Topics(String keywordRequested, String promptCreated, String imageReady, String requestFailed) {

    public static final Topics DEFAULT = new Topics("keyword-requested", "prompt-created", "image-ready", "request-failed");

    public static Topics from(Settings settings) {
        return new Topics(
                settings.string("TRAVELART_TOPIC_KEYWORD_REQUESTED", DEFAULT.keywordRequested),
                settings.string("TRAVELART_TOPIC_PROMPT_CREATED", DEFAULT.promptCreated),
                settings.string("TRAVELART_TOPIC_IMAGE_READY", DEFAULT.imageReady),
                settings.string("TRAVELART_TOPIC_REQUEST_FAILED", DEFAULT.requestFailed));
    }

    public List<String> all() {
        return List.of(keywordRequested, promptCreated, imageReady, requestFailed);
    }
}
