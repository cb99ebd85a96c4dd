package io.travelart.devstack.kafka;

/** Kafka as devstack runs it: one broker in this JVM ({@link EmbeddedKafka}) or a cluster of processes ({@link KafkaCluster}). */
public interface KafkaServers extends AutoCloseable {

    /** What a client connects to: {@code host:port,…}. */
    String bootstrapServers();

    @Override
    void close();
}
