package io.travelart.core.openai;

import com.openai.client.OpenAIClient;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.Map;

/**
 * A worker's way to its OpenAI-compatible provider, opened the same way by every worker: the client (one pooled
 * connection per call in flight), and the model lifecycle check passed before anything else starts (a model gone or
 * a key refused stops the start with a line that says so).
 */
public record OpenAiConnection(OpenAIClient client, ModelLifecycle lifecycle) implements AutoCloseable {

    /**
     * @param models the models the worker calls, by the setting that names each
     */
    public static OpenAiConnection open(OpenAiConfig config, int callsInFlight, Map<String, String> models,
                                        ModelLifecycle.Config check, Clock clock, MeterRegistry registry) {
        OpenAIClient client = OpenAiClients.create(config, callsInFlight);
        OpenAiConnection connection = new OpenAiConnection(client, new ModelLifecycle(client, models, check, clock, registry));
        try {
            connection.lifecycle.requireUsable();
        } catch (RuntimeException e) {
            connection.close();
            throw e;
        }
        return connection;
    }

    @Override
    public void close() {
        lifecycle.close();
        client.close();
    }
}
