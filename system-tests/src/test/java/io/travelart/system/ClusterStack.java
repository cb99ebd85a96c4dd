package io.travelart.system;

import io.travelart.devstack.ApicurioRegistry;
import io.travelart.devstack.Stack;
import io.travelart.devstack.kafka.KafkaCluster;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;

import java.nio.file.Path;
import java.util.Optional;

/** The stack with a cluster of brokers, each its own process ({@link KafkaCluster}), beside the dev registry and the simulator. */
final class ClusterStack implements Stack {

    private final KafkaCluster cluster;
    private final ApicurioRegistry registry;
    private final OpenAiSimulator simulator;

    private ClusterStack(KafkaCluster cluster, ApicurioRegistry registry, OpenAiSimulator simulator) {
        this.cluster = cluster;
        this.registry = registry;
        this.simulator = simulator;
    }

    static ClusterStack start(Path dir, int brokers, SimulatorSettings simulator) {
        KafkaCluster cluster = KafkaCluster.start(dir.resolve("kafka"), brokers);
        ApicurioRegistry registry = null;
        try {
            registry = ApicurioRegistry.start(dir.resolve("registry.log"));
            return new ClusterStack(cluster, registry, OpenAiSimulator.start(simulator));
        } catch (RuntimeException e) {
            if (registry != null) {
                registry.close();
            }
            cluster.close();
            throw e;
        }
    }

    KafkaCluster cluster() {
        return cluster;
    }

    @Override
    public String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public String registryUrl() {
        return registry.confluentUrl();
    }

    @Override
    public Optional<OpenAiSimulator> simulator() {
        return Optional.of(simulator);
    }

    @Override
    public void close() {
        try {
            simulator.close();
        } finally {
            try {
                registry.close();
            } finally {
                cluster.close();
            }
        }
    }
}
