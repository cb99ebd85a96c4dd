package io.travelart.core.worker;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.cancel.CancelReader;
import io.travelart.core.config.Topics;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.kafka.KafkaSetupException;
import io.travelart.core.kafka.TopicSetup;
import io.travelart.core.registry.SchemaRegistryClient;
import io.travelart.core.serde.EventSerde;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.time.Time;
import org.apache.kafka.common.acl.AclOperation;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/**
 * What both workers build around the calls their stage pays for, in one order: the call pool (a virtual thread per
 * call), the stage's gate (probing with the provider's free call while paused), the retry policy on the provider's
 * error classifier, the {@link Guard} over them, and the view of the cancelled requests ({@link CancelReader}), which
 * the stage engine and the batch lane ask before a request's call starts. Each worker adds its own rate limits
 * ({@link #limit}) and ports.
 *
 * @param errors the one classifier of the provider's errors, which the stage also uses for what it catches
 */
public record StageCalls(ExecutorService pool, StageGate gate, RetryPolicy retry, Guard guard, ErrorClassifier errors, Time time,
                         WorkerMetrics metrics, CancelReader cancels) {

    /** How long a starting worker may take to read the cancels to their end. */
    private static final Duration CANCELS_READ_WITHIN = Duration.ofSeconds(30);

    /** @param closeWith where the pool and the gate's prober are added, to close with the worker */
    public static StageCalls start(String stage, WorkerConfig config, StageGate.Probe probe, ErrorClassifier errors, Time time,
                                   WorkerMetrics metrics, List<AutoCloseable> closeWith) {
        ExecutorService pool = CallPool.create(stage.toLowerCase(Locale.ROOT) + "-call");
        closeWith.add(pool::shutdownNow);
        StageGate gate = Worker.gate(stage, config, probe, time, metrics, closeWith);
        RetryPolicy retry = new RetryPolicy(config.retry(), errors, time, RandomGenerator.getDefault(), metrics.retries(stage));
        CancelReader cancels = startCancels(config, time, metrics);
        closeWith.add(cancels);
        return new StageCalls(pool, gate, retry, new Guard(retry, gate, errors), errors, time, metrics, cancels);
    }

    private static CancelReader startCancels(WorkerConfig config, Time time, WorkerMetrics metrics) {
        String topic = config.topics().requestCancelled();
        // Kafka's own words for a missing topic or ACL are not the worker's: the same check as the worker's other topics.
        try (TopicSetup topics = new TopicSetup(config.kafka(), Duration.ofSeconds(15), time)) {
            topics.requireAccess(new TopicSetup.Access(Map.of(topic, Set.of(AclOperation.READ)), Map.of(), List.of()));
        } catch (KafkaSetupException e) {
            throw new StartupException(e.getMessage(), e);
        }
        EventSerde serde = new EventSerde(new SchemaRegistryClient(config.registry(), time), config.registry().autoRegister(),
                config.maxRecordBytes());
        try {
            return new CancelReader(config.kafka(), topic, serde, time, Duration.ofMillis(Topics.CANCEL_RETENTION_MS),
                    metrics.registry()).start(CANCELS_READ_WITHIN);
        } catch (RuntimeException e) {
            throw new StartupException("cancelled requests: cannot read " + topic + " from " + config.kafka().bootstrapServers()
                    + ": " + e.getMessage(), e);
        }
    }

    /** A rate limit of this instance ({@code perMinute}, 0 for none), its waits measured as {@code metricName}. */
    public RateLimiter limit(String name, long perMinute, String metricName) {
        RateLimiter limiter = new RateLimiter(name, perMinute, time);
        metrics.bind(limiter, metricName);
        return limiter;
    }
}
