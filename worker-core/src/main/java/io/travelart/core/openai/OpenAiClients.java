package io.travelart.core.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;

/** Builds the OpenAI SDK client the way Travelart needs it. */
public final class OpenAiClients {

    /** Header carrying our request id on every call, so the provider's logs (and our simulator) can tie calls to requests. */
    public static final String REQUEST_ID_HEADER = "X-Client-Request-Id";

    private OpenAiClients() {
    }

    /**
     * SDK retries are off ({@code maxRetries(0)}): its defaults cap Retry-After at 8 s and send no
     * idempotency key, and a failure is a value the engine decides about.
     */
    public static OpenAIClient create(OpenAiConfig config) {
        return OpenAIOkHttpClient.builder()
                .apiKey(config.requireApiKey())
                .baseUrl(config.baseUrl())
                .timeout(config.timeout())
                .maxRetries(0)
                .responseValidation(config.strictResponses())
                .build();
    }
}
