package io.travelart.prompt.app;

import io.travelart.prompt.openai.OpenAiModerator;
import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.images.ImageProvider;
import io.travelart.core.openai.ModelLifecycle;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.events.RequestBounds;

/**
 * The prompt-worker's settings: the shared worker settings, OpenAI, and
 * {@code TRAVELART_CHAT_MODEL} (default gpt-5.4-mini), {@code TRAVELART_KEYWORD_MAX_LENGTH} (200),
 * {@code TRAVELART_PROMPT_MAX_LENGTH} (1200), this instance's chat rate limits
 * {@code TRAVELART_CHAT_REQUESTS_PER_MINUTE} and {@code TRAVELART_CHAT_TOKENS_PER_MINUTE} (0, the default, means none),
 * {@code TRAVELART_IMAGE_PROVIDER} and {@code TRAVELART_IMAGE_MODEL} (the pipeline's image server and model, whose sizes
 * and qualities a request is checked against before anything is paid), the free moderation check {@code TRAVELART_MODERATION} (true) with
 * {@code TRAVELART_MODERATION_MODEL} (omni-moderation-latest), and the model lifecycle check.
 */
public record PromptWorkerConfig(WorkerConfig worker, OpenAiConfig openai, String chatModel, int keywordMaxLength,
                                 int promptMaxLength, int requestsPerMinute, int tokensPerMinute,
                                 ImageProvider imageProvider, String imageModel,
                                 boolean moderation, String moderationModel, ModelLifecycle.Config modelCheck) {

    public static final String DEFAULT_CHAT_MODEL = "gpt-5.4-mini";
    public static final int DEFAULT_KEYWORD_MAX_LENGTH = 200;
    /** The image-worker's default image model (its ImageWorkerConfig says the same; the prompt-worker does not import it). */
    public static final String DEFAULT_IMAGE_MODEL = "gpt-image-2.6-flare";

    /** The models this worker calls, by the setting that names each: what its lifecycle check asks about. */
    public java.util.Map<String, String> models() {
        var models = new java.util.LinkedHashMap<String, String>();
        models.put("TRAVELART_CHAT_MODEL", chatModel);
        if (moderation) {
            models.put("TRAVELART_MODERATION_MODEL", moderationModel);
        }
        return models;
    }

    public static PromptWorkerConfig from(Settings settings) {
        return new PromptWorkerConfig(
                WorkerConfig.from(settings),
                OpenAiConfig.from(settings),
                settings.string("TRAVELART_CHAT_MODEL", DEFAULT_CHAT_MODEL),
                settings.intValue("TRAVELART_KEYWORD_MAX_LENGTH", DEFAULT_KEYWORD_MAX_LENGTH, 1, RequestBounds.KEYWORD_MAX),
                settings.intValue("TRAVELART_PROMPT_MAX_LENGTH", 1200, 100, 32_000),
                settings.intValue("TRAVELART_CHAT_REQUESTS_PER_MINUTE", 0, 0, 100_000_000),
                settings.intValue("TRAVELART_CHAT_TOKENS_PER_MINUTE", 0, 0, 2_000_000_000),
                ImageProvider.from(settings),
                // The same setting and default as the image-worker's: both workers of a pipeline are given the same value.
                settings.string("TRAVELART_IMAGE_MODEL", DEFAULT_IMAGE_MODEL),
                settings.bool("TRAVELART_MODERATION", true),
                settings.string("TRAVELART_MODERATION_MODEL", OpenAiModerator.DEFAULT_MODEL),
                ModelLifecycle.Config.from(settings));
    }
}
