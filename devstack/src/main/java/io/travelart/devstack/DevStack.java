package io.travelart.devstack;

import io.travelart.devstack.kafka.EmbeddedKafka;
import io.travelart.devstack.kafka.KafkaServers;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The embedded default in one object: a Kafka broker in this JVM (or, for fault tests, a cluster of broker processes),
 * the Apicurio registry as a child process, and (unless the real API is used) the OpenAI simulator. Closing it stops
 * all three.
 *
 * @param <K> the Kafka it runs on
 */
public final class DevStack<K extends KafkaServers> implements Stack {

    private final K kafka;
    private final ApicurioRegistry registry;
    private final OpenAiSimulator simulator;

    private DevStack(K kafka, ApicurioRegistry registry, OpenAiSimulator simulator) {
        this.kafka = kafka;
        this.registry = registry;
        this.simulator = simulator;
    }

    /**
     * Starts the stack with its data under {@code dataDir} ({@code kafka/}, {@code registry.log}).
     * The simulator is started when {@code simulatorSettings} is given.
     */
    public static DevStack<EmbeddedKafka> start(Path dataDir, Optional<SimulatorSettings> simulatorSettings) {
        return on(EmbeddedKafka.start(dataDir.resolve("kafka")), dataDir.resolve("registry.log"), simulatorSettings);
    }

    /**
     * The registry (logging to {@code registryLog}) and, when {@code simulatorSettings} is given, the simulator beside a
     * broker started already (a secured one, or a cluster). The broker is closed with the stack, or at once if the rest
     * cannot start.
     */
    public static <K extends KafkaServers> DevStack<K> on(K kafka, Path registryLog, Optional<SimulatorSettings> simulatorSettings) {
        ApicurioRegistry registry = null;
        try {
            registry = ApicurioRegistry.start(registryLog);
            OpenAiSimulator simulator = simulatorSettings.map(OpenAiSimulator::start).orElse(null);
            return new DevStack<>(kafka, registry, simulator);
        } catch (RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            kafka.close();
            throw e;
        }
    }

    public K kafka() {
        return kafka;
    }

    @Override
    public String bootstrapServers() {
        return kafka.bootstrapServers();
    }

    @Override
    public String registryUrl() {
        return registry.confluentUrl();
    }

    @Override
    public Optional<OpenAiSimulator> simulator() {
        return Optional.ofNullable(simulator);
    }

    @Override
    public void close() {
        try {
            if (simulator != null) {
                simulator.close();
            }
        } finally {
            try {
                registry.close();
            } finally {
                kafka.close();
            }
        }
    }
}
