package io.travelart.core.config;

import io.travelart.core.call.RetryConfig;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * What every worker needs: Kafka, the registry, topic names, a stable instance id (in client and
 * transactional ids: {@code TRAVELART_INSTANCE_ID}, default the host name), how many records it works
 * on at once ({@code TRAVELART_MAX_IN_FLIGHT}, 16) and keeps ready to start ({@code TRAVELART_MAX_BUFFERED},
 * 1000), the longest a transaction stays open under load ({@code TRAVELART_COMMIT_INTERVAL}, 20ms), how
 * transient failures are retried
 * ({@code TRAVELART_RETRY_*}) and how long a stopping worker waits for calls in flight
 * ({@code TRAVELART_DRAIN_GRACE}, 30s).
 */
public record WorkerConfig(KafkaConfig kafka, RegistryConfig registry, Topics topics, String instanceId,
                           int maxInFlight, int maxBuffered, Duration commitInterval, RetryConfig retry, Duration drainGrace) {

    public static final int DEFAULT_MAX_BUFFERED = 1000;
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(20);

    public static WorkerConfig from(Settings settings) {
        return new WorkerConfig(
                KafkaConfig.from(settings),
                RegistryConfig.from(settings),
                Topics.from(settings),
                settings.string("TRAVELART_INSTANCE_ID", hostName()),
                settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10_000),
                settings.intValue("TRAVELART_MAX_BUFFERED", DEFAULT_MAX_BUFFERED, 1, 1_000_000),
                settings.duration("TRAVELART_COMMIT_INTERVAL", DEFAULT_COMMIT_INTERVAL),
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
