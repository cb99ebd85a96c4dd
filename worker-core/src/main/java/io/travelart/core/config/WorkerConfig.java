package io.travelart.core.config;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * What every worker needs: Kafka, the registry, topic names, a stable instance id (used in client
 * ids, and later in transactional ids) and how many records it works on at once.
 */
public record WorkerConfig(KafkaConfig kafka, RegistryConfig registry, Topics topics, String instanceId,
                           int maxInFlight) {

    public static WorkerConfig from(Settings settings) {
        return new WorkerConfig(
                KafkaConfig.from(settings),
                RegistryConfig.from(settings),
                Topics.from(settings),
                settings.string("TRAVELART_INSTANCE_ID", hostName()),
                settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10_000));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "travelart";
        }
    }
}
