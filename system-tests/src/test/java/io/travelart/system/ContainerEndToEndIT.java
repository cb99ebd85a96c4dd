package io.travelart.system;

import io.travelart.cli.local.LocalPipeline;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import io.travelart.devstack.Stack;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The end-to-end scenarios on Kafka and Confluent Schema Registry in containers, the registry the
 * embedded stack stands in for. Runs where Docker exists; elsewhere JUnit reports it skipped
 * ("Docker is not available"), as on the development and CI machines of this project.
 */
@Testcontainers(disabledWithoutDocker = true)
class ContainerEndToEndIT extends EndToEndScenarios {

    static final String KAFKA_IMAGE = "apache/kafka:4.3.1";
    static final String REGISTRY_IMAGE = "confluentinc/cp-schema-registry:8.1.0";

    private static LocalPipeline pipeline;

    /** Kafka and the registry in containers on one network; the simulator in this JVM. */
    static final class ContainerStack implements Stack {
        private final Network network = Network.newNetwork();
        private final KafkaContainer kafka = new KafkaContainer(KAFKA_IMAGE)
                .withNetwork(network)
                .withListener("kafka:19092");
        private final GenericContainer<?> registry = new GenericContainer<>(REGISTRY_IMAGE)
                .withNetwork(network)
                .withExposedPorts(8081)
                .withEnv("SCHEMA_REGISTRY_HOST_NAME", "schema-registry")
                .withEnv("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS", "kafka:19092")
                .withEnv("SCHEMA_REGISTRY_LISTENERS", "http://0.0.0.0:8081")
                .waitingFor(Wait.forHttp("/subjects").forStatusCode(200).withStartupTimeout(Duration.ofMinutes(2)));
        private final OpenAiSimulator simulator = OpenAiSimulator.start(
                SimulatorSettings.defaults().withLatency(Duration.ofMillis(50), Duration.ofMillis(100)));

        ContainerStack() {
            kafka.start();
            registry.start();
        }

        @Override
        public String bootstrapServers() {
            return kafka.getBootstrapServers();
        }

        @Override
        public String registryUrl() {
            return "http://" + registry.getHost() + ":" + registry.getMappedPort(8081);
        }

        @Override
        public Optional<OpenAiSimulator> simulator() {
            return Optional.of(simulator);
        }

        @Override
        public void close() {
            simulator.close();
            registry.stop();
            kafka.stop();
            network.close();
        }
    }

    @BeforeAll
    static void startStack() throws IOException {
        pipeline = LocalPipeline.start(new ContainerStack(), Files.createTempDirectory("travelart-containers"), 3,
                Map.of("TRAVELART_MAX_IN_FLIGHT", "16", "TRAVELART_OPENAI_STRICT_RESPONSES", "true"));
    }

    @AfterAll
    static void stopStack() {
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Override
    protected LocalPipeline pipeline() {
        return pipeline;
    }
}
