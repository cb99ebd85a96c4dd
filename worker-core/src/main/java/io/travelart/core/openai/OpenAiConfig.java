package io.travelart.core.openai;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;

import java.time.Duration;
import java.util.Optional;

/**
 * How to reach OpenAI or an OpenAI-compatible provider: {@code OPENAI_API_KEY}, {@code OPENAI_BASE_URL}
 * (must end in {@code /v1}; default {@code https://api.openai.com/v1}), the per-call timeout
 * {@code TRAVELART_OPENAI_TIMEOUT}, and {@code TRAVELART_OPENAI_STRICT_RESPONSES}: whether the SDK
 * checks every answer against its types (the tests do; off by default, so that a provider's harmless
 * deviation in a field we do not read does not fail requests).
 */
public record OpenAiConfig(Optional<String> apiKey, String baseUrl, Duration timeout, boolean strictResponses) {

    public static final String DEFAULT_BASE_URL = "https://api.openai.com/v1";

    public OpenAiConfig {
        if (!baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new ConfigException("OPENAI_BASE_URL=" + baseUrl + " is not accepted: expected an http(s) URL ending in /v1");
        }
        baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        if (!baseUrl.endsWith("/v1")) {
            throw new ConfigException("OPENAI_BASE_URL=" + baseUrl + " is not accepted: it must end in /v1");
        }
    }

    public static OpenAiConfig from(Settings settings) {
        return new OpenAiConfig(settings.optional("OPENAI_API_KEY"),
                settings.string("OPENAI_BASE_URL", DEFAULT_BASE_URL),
                settings.duration("TRAVELART_OPENAI_TIMEOUT", Duration.ofSeconds(120)),
                settings.bool("TRAVELART_OPENAI_STRICT_RESPONSES", false));
    }

    /** The key, or a one-line error naming the setting: the real API cannot be called without it. */
    public String requireApiKey() {
        return apiKey.orElseThrow(() -> new ConfigException(
                "OPENAI_API_KEY is not set: the key for " + baseUrl + " (or set OPENAI_BASE_URL to the simulator)"));
    }

    @Override
    public String toString() {
        return "OpenAiConfig[baseUrl=" + baseUrl + ", apiKey=" + (apiKey.isPresent() ? "****" : "none")
                + ", timeout=" + timeout + ", strictResponses=" + strictResponses + "]";
    }
}
