package io.travelart.prompt;

import io.travelart.core.config.Settings;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.openai.OpenAiConfig;

/**
 * The prompt-worker's settings: the shared worker settings, OpenAI, and
 * {@code TRAVELART_CHAT_MODEL} (default gpt-5.4-mini), {@code TRAVELART_KEYWORD_MAX_LENGTH} (200),
 * {@code TRAVELART_PROMPT_MAX_LENGTH} (1200), and this instance's chat rate limits
 * {@code TRAVELART_CHAT_REQUESTS_PER_MINUTE} and {@code TRAVELART_CHAT_TOKENS_PER_MINUTE} (0, the default, means none).
 */
public record PromptWorkerConfig(WorkerConfig worker, OpenAiConfig openai, String chatModel, int keywordMaxLength,
                                 int promptMaxLength, int requestsPerMinute, int tokensPerMinute) {

    public static final String DEFAULT_CHAT_MODEL = "gpt-5.4-mini";
    public static final int DEFAULT_KEYWORD_MAX_LENGTH = 200;

    public static PromptWorkerConfig from(Settings settings) {
        return new PromptWorkerConfig(
                WorkerConfig.from(settings),
                OpenAiConfig.from(settings),
                settings.string("TRAVELART_CHAT_MODEL", DEFAULT_CHAT_MODEL),
                settings.intValue("TRAVELART_KEYWORD_MAX_LENGTH", DEFAULT_KEYWORD_MAX_LENGTH, 1, 10_000),
                settings.intValue("TRAVELART_PROMPT_MAX_LENGTH", 1200, 100, 32_000),
                settings.intValue("TRAVELART_CHAT_REQUESTS_PER_MINUTE", 0, 0, 100_000_000),
                settings.intValue("TRAVELART_CHAT_TOKENS_PER_MINUTE", 0, 0, 2_000_000_000));
    }
}
