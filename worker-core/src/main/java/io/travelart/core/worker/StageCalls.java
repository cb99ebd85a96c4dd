package io.travelart.core.worker;

import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.config.WorkerConfig;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.metrics.WorkerMetrics;
import io.travelart.core.time.Time;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.random.RandomGenerator;

/**
 * What both workers build around the calls their stage pays for, in one order: the call pool (a virtual thread per
 * call), the stage's gate (probing with the provider's free call while paused), the retry policy on the provider's
 * error classifier, and the {@link Guard} over them. Each worker adds its own rate limits ({@link #limit}) and ports.
 *
 * @param errors the one classifier of the provider's errors, which the stage also uses for what it catches
 */
public record StageCalls(ExecutorService pool, StageGate gate, RetryPolicy retry, Guard guard, ErrorClassifier errors, Time time,
                         WorkerMetrics metrics) {

    /** @param closeWith where the pool and the gate's prober are added, to close with the worker */
    public static StageCalls start(String stage, WorkerConfig config, StageGate.Probe probe, ErrorClassifier errors, Time time,
                                   WorkerMetrics metrics, List<AutoCloseable> closeWith) {
        ExecutorService pool = CallPool.create(stage.toLowerCase(Locale.ROOT) + "-call");
        closeWith.add(pool::shutdownNow);
        StageGate gate = Worker.gate(stage, config, probe, time, metrics, closeWith);
        RetryPolicy retry = new RetryPolicy(config.retry(), errors, time, RandomGenerator.getDefault(), metrics.retries(stage));
        return new StageCalls(pool, gate, retry, new Guard(retry, gate, errors), errors, time, metrics);
    }

    /** A rate limit of this instance ({@code perMinute}, 0 for none), its waits measured as {@code metricName}. */
    public RateLimiter limit(String name, long perMinute, String metricName) {
        RateLimiter limiter = new RateLimiter(name, perMinute, time);
        metrics.bind(limiter, metricName);
        return limiter;
    }
}
