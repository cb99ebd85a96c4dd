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
     *
     * <p>Calls are made synchronously on the worker's call pool, so OkHttp's dispatcher limit (64 per
     * host, for async calls only) does not apply; the connection pool keeps one idle connection per call
     * in flight, so that a steady load does not open and close connections all the time.
     */
    public static OpenAIClient create(OpenAiConfig config, int callsInFlight) {
        return OpenAIOkHttpClient.builder()
                .apiKey(config.requireApiKey())
                .baseUrl(config.baseUrl())
                .timeout(config.timeout())
                .maxRetries(0)
                .maxIdleConnections(Math.max(5, callsInFlight))
                .keepAliveDuration(java.time.Duration.ofMinutes(5))
                .responseValidation(config.strictResponses())
                .build();
    }
}
