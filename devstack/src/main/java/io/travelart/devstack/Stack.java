package io.travelart.devstack;

import io.travelart.devstack.openai.OpenAiSimulator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the pipeline runs on: a Kafka cluster, a Confluent-compatible schema registry and, unless the real
 * API is used, the OpenAI simulator. {@link DevStack} is the embedded one (in-process Kafka, Apicurio); the
 * tests have one in containers (Kafka and Confluent Schema Registry, where Docker exists).
 */
public interface Stack extends AutoCloseable {

    String bootstrapServers();

    String registryUrl();

    Optional<OpenAiSimulator> simulator();

    /** The environment a worker or any other client needs to use this stack. */
    default Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers());
        env.put("SCHEMA_REGISTRY_URL", registryUrl());
        simulator().ifPresent(s -> {
            env.put("OPENAI_BASE_URL", s.baseUrl());
            env.put("OPENAI_API_KEY", "sk-simulator");
        });
        return env;
    }

    @Override
    void close();
}
