package io.travelart.core.config;

import io.travelart.core.call.RetryConfig;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * What every worker needs: Kafka, the registry, topic names, a stable instance id (in client and
 * transactional ids: {@code TRAVELART_INSTANCE_ID}, default the host name), how many records it works
 * on at once ({@code TRAVELART_MAX_IN_FLIGHT}, 16) and keeps ready to start ({@code TRAVELART_MAX_BUFFERED},
 * 1000), how transient failures are retried
 * ({@code TRAVELART_RETRY_*}) and how long a stopping worker waits for calls in flight
 * ({@code TRAVELART_DRAIN_GRACE}, 30s).
 */
public record WorkerConfig(KafkaConfig kafka, RegistryConfig registry, Topics topics, String instanceId,
                           int maxInFlight, int maxBuffered, RetryConfig retry, Duration drainGrace) {

    public static WorkerConfig from(Settings settings) {
        return new WorkerConfig(
                KafkaConfig.from(settings),
                RegistryConfig.from(settings),
                Topics.from(settings),
                settings.string("TRAVELART_INSTANCE_ID", hostName()),
                settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10_000),
                settings.intValue("TRAVELART_MAX_BUFFERED", 1000, 1, 1_000_000),
                RetryConfig.from(settings),
                settings.duration("TRAVELART_DRAIN_GRACE", Duration.ofSeconds(30)));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "travelart";
        }
    }
}
