package io.travelart.core.config;

import io.travelart.core.call.RetryConfig;
import io.travelart.core.metrics.PriceTable;

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
 * ({@code TRAVELART_DRAIN_GRACE}, 30s), where its metrics and health endpoints listen
 * ({@code TRAVELART_MANAGEMENT_HOST} 0.0.0.0, {@code TRAVELART_MANAGEMENT_PORT} 9400; 0 picks a free one)
 * what the models cost for the estimated-cost metric ({@code TRAVELART_PRICES}, see {@link PriceTable}), and how
 * a stage paused by a failure of the worker probes for its end: first after {@code TRAVELART_PAUSE_PROBE_FIRST}
 * (5s), doubling up to {@code TRAVELART_PAUSE_PROBE_MAX} (5m); and the brokers' {@code offset.metadata.max.bytes}
 * ({@code TRAVELART_OFFSET_METADATA_MAX_BYTES}, 4096), which the answered offsets in a commit's metadata must fit.
 * {@code TRAVELART_LOG_FORMAT} (text or json) is applied by {@code LogFormat} and checked here.
 * {@code TRAVELART_MAX_RECORD_BYTES} (1 MiB) is the largest record a worker reads or writes: a larger input is
 * refused before it is decoded, a larger output fails its request; keep it within the producer's
 * {@code max.request.size} and the topics' {@code max.message.bytes}.
 */
public record WorkerConfig(KafkaConfig kafka, RegistryConfig registry, Topics topics, String instanceId,
                           int maxInFlight, int maxBuffered, Duration commitInterval, RetryConfig retry, Duration drainGrace,
                           String managementHost, int managementPort, PriceTable prices, Duration pauseFirstProbe,
                           Duration pauseMaxProbe, int offsetMetadataMaxBytes, int maxRecordBytes) {

    public static final int DEFAULT_MANAGEMENT_PORT = 9400;

    public static final int DEFAULT_MAX_BUFFERED = 1000;
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofMillis(20);
    /** The broker's default {@code offset.metadata.max.bytes}. */
    public static final int DEFAULT_OFFSET_METADATA_MAX_BYTES = 4096;
    /** The largest record read or written by default: the producer's default {@code max.request.size}, 1 MiB. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

    public static WorkerConfig from(Settings settings) {
        // Read by LogFormat before logging starts; checked here so that a typo is an error, not text logs.
        String logFormat = settings.string("TRAVELART_LOG_FORMAT", "text");
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new ConfigException("TRAVELART_LOG_FORMAT is '" + logFormat + "'; expected text or json");
        }
        return new WorkerConfig(
                KafkaConfig.from(settings),
                RegistryConfig.from(settings),
                Topics.from(settings),
                settings.string("TRAVELART_INSTANCE_ID", hostName()),
                settings.intValue("TRAVELART_MAX_IN_FLIGHT", 16, 1, 10_000),
                settings.intValue("TRAVELART_MAX_BUFFERED", DEFAULT_MAX_BUFFERED, 1, 1_000_000),
                settings.duration("TRAVELART_COMMIT_INTERVAL", DEFAULT_COMMIT_INTERVAL),
                retry(settings),
                settings.duration("TRAVELART_DRAIN_GRACE", Duration.ofSeconds(30)),
                settings.string("TRAVELART_MANAGEMENT_HOST", "0.0.0.0"),
                settings.intValue("TRAVELART_MANAGEMENT_PORT", DEFAULT_MANAGEMENT_PORT, 0, 65535),
                prices(settings),
                settings.duration("TRAVELART_PAUSE_PROBE_FIRST", Duration.ofSeconds(5)),
                settings.duration("TRAVELART_PAUSE_PROBE_MAX", Duration.ofMinutes(5)),
                settings.intValue("TRAVELART_OFFSET_METADATA_MAX_BYTES", DEFAULT_OFFSET_METADATA_MAX_BYTES, 64, 1 << 20),
                maxRecordBytes(settings));
    }

    /** {@code TRAVELART_MAX_RECORD_BYTES}: the largest record value read or written, from 64 KiB to 64 MiB. */
    public static int maxRecordBytes(Settings settings) {
        return settings.intValue("TRAVELART_MAX_RECORD_BYTES", DEFAULT_MAX_RECORD_BYTES, 64 << 10, 64 << 20);
    }

    /** The price table: the defaults with {@code TRAVELART_PRICES} on top. */
    public static PriceTable prices(Settings settings) {
        try {
            return PriceTable.parse(settings.optional("TRAVELART_PRICES").orElse(null));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("TRAVELART_PRICES: " + e.getMessage());
        }
    }

    private static RetryConfig retry(Settings settings) {
        String jitter = settings.string("TRAVELART_RETRY_JITTER", "0.5");
        double parsed;
        try {
            parsed = Double.parseDouble(jitter);
        } catch (NumberFormatException e) {
            throw new ConfigException("TRAVELART_RETRY_JITTER is '" + jitter + "': accepted values are numbers from 0 to 1");
        }
        if (parsed < 0 || parsed > 1) {
            throw new ConfigException("TRAVELART_RETRY_JITTER is " + jitter + ": accepted values are 0 to 1");
        }
        Duration initial = settings.duration("TRAVELART_RETRY_INITIAL_BACKOFF", Duration.ofMillis(500));
        Duration max = settings.duration("TRAVELART_RETRY_MAX_BACKOFF", Duration.ofSeconds(30));
        if (max.compareTo(initial) < 0) {
            throw new ConfigException("TRAVELART_RETRY_MAX_BACKOFF (" + max + ") is shorter than TRAVELART_RETRY_INITIAL_BACKOFF ("
                    + initial + ")");
        }
        return new RetryConfig(
                settings.intValue("TRAVELART_RETRY_MAX_ATTEMPTS", 8, 1, 1000),
                initial,
                max,
                settings.duration("TRAVELART_RETRY_MAX_ELAPSED", Duration.ofMinutes(2)),
                parsed);
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "travelart";
        }
    }
}
