package io.travelart.core.openai;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.ObjectMappers;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.travelart.core.json.Json;

/** Builds the OpenAI SDK client the way Travelart needs it. */
public final class OpenAiClients {

    /** Header carrying our request id on every call, so the provider's logs (and our simulator) can tie calls to requests. */
    public static final String REQUEST_ID_HEADER = "X-Client-Request-Id";

    /**
     * How long an idle connection is kept: under the idle timeouts of the servers an API sits behind (Java's own
     * HttpServer, which our simulators use, 30 s; AWS load balancers 60 s; nginx 75 s).
     */
    public static final java.time.Duration KEEP_ALIVE = java.time.Duration.ofSeconds(20);

    private OpenAiClients() {
    }

    /**
     * SDK retries are off ({@code maxRetries(0)}): its defaults cap Retry-After at 8 s and send no
     * idempotency key, and a failure is a value the engine decides about.
     *
     * <p>Calls are made synchronously on the worker's call pool, so OkHttp's dispatcher limit (64 per
     * host, for async calls only) does not apply; the connection pool keeps one idle connection per call
     * in flight, so that a steady load does not open and close connections all the time.
     *
     * <p>An idle connection is dropped after {@link #KEEP_ALIVE}, before the servers in front of an API close it: the
     * SDK turns off OkHttp's retry on a connection failure, so a call sent on a connection the server has just closed
     * fails ({@code EOFException: \n not found}, a {@code NETWORK} failure that takes an attempt of the call's budget).
     *
     * <p>The SDK's JSON mapper is given a shared buffer pool ({@link #jsonMapper()}).
     */
    public static OpenAIClient create(OpenAiConfig config, int callsInFlight) {
        return create(config, callsInFlight, jsonMapper());
    }

    static OpenAIClient create(OpenAiConfig config, int callsInFlight, JsonMapper mapper) {
        return OpenAIOkHttpClient.builder()
                .apiKey(config.requireApiKey())
                .baseUrl(config.baseUrl())
                .timeout(config.timeout())
                .maxRetries(0)
                .maxIdleConnections(Math.max(5, callsInFlight))
                .keepAliveDuration(KEEP_ALIVE)
                .responseValidation(config.strictResponses())
                .jsonMapper(mapper)
                .build();
    }

    /**
     * The SDK's JSON mapper (its modules and settings), with Jackson's buffers from {@link Json#BUFFERS} instead of a
     * thread local: with a virtual thread per call, the SDK's own mapper made a new set for every call and held it
     * until the call ended (measured: about 8 KB of char buffers per call in flight, in class histograms of the
     * image-worker at 1024 calls).
     */
    static JsonMapper jsonMapper() {
        JsonMapper mapper = ObjectMappers.jsonMapper().copy();
        mapper.getFactory().setRecyclerPool(Json.BUFFERS);
        return mapper;
    }
}
