package io.travelart.core;

import io.travelart.core.config.KafkaConfig;
import io.travelart.core.config.RegistryConfig;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.devstack.ApicurioRegistry;
import io.travelart.devstack.kafka.EmbeddedKafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/** One real broker and one real registry for every test of this module's JVM, stopped when it exits. */
public final class TestStack {

    private static EmbeddedKafka kafka;
    private static ApicurioRegistry registry;

    private TestStack() {
    }

    private static synchronized void start() {
        if (kafka != null) {
            return;
        }
        try {
            Path dir = Files.createTempDirectory("travelart-test-stack");
            kafka = EmbeddedKafka.start(dir.resolve("kafka"));
            registry = ApicurioRegistry.start(dir.resolve("registry.log"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            registry.close();
            kafka.close();
        }));
    }

    public static KafkaConfig kafka() {
        start();
        return KafkaConfig.of(kafka.bootstrapServers());
    }

    public static RegistryConfig registry() {
        start();
        return RegistryConfig.of(registry.confluentUrl());
    }

    /** Topic names unique to the calling test, created with the given partitions. */
    public static List<String> createTopics(int partitions, String... names) {
        String suffix = "-" + UUID.randomUUID().toString().substring(0, 8);
        List<String> topics = java.util.Arrays.stream(names).map(n -> n + suffix).toList();
        try (TopicSetup setup = new TopicSetup(kafka(), Duration.ofSeconds(30))) {
            setup.create(topics, partitions, (short) 1);
        }
        return topics;
    }
}
