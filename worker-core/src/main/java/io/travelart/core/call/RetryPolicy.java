package io.travelart.core.call;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.CallFailedException;
import io.travelart.core.time.Time;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.random.RandomGenerator;

/**
 * Our retry policy (the SDK's retries are off): transient failures are tried again with exponential
 * backoff and jitter, honouring the provider's retry headers, bounded by attempts and elapsed time.
 * What finally fails is thrown as a {@link CallFailedException} that carries the attempts made and
 * when the first failed.
 */
public final class RetryPolicy {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RetryPolicy.class);

    /** Told about each retry, e.g. for metrics. */
    public interface Listener {
        Listener NONE = (failure, wait) -> {
        };

        void retrying(Failure failure, Duration wait);
    }

    private final RetryConfig config;
    private final ErrorClassifier classifier;
    private final Time time;
    private final RandomGenerator random;
    private final Listener listener;

    public RetryPolicy(RetryConfig config, ErrorClassifier classifier, Time time, RandomGenerator random,
                       Listener listener) {
        this.config = config;
        this.classifier = classifier;
        this.time = time;
        this.random = random;
        this.listener = listener;
    }

    public <T> T call(Callable<T> call) {
        Instant firstFailure = null;
        for (int attempt = 1; ; attempt++) {
            Exception error;
            try {
                return call.call();
            } catch (Exception e) {
                error = e;
            }
            Instant now = time.instant();
            if (firstFailure == null) {
                firstFailure = now;
            }
            Failure failure = classifier.classify(error);
            // A failure of the worker (key, model, account) fails every call alike: the stage pauses instead.
            if (!failure.retriable() || ErrorCodes.belongsToWorker(failure.code()) || attempt >= config.maxAttempts()) {
                throw new CallFailedException(failure.after(attempt, firstFailure), error);
            }
            Duration wait = backoff(attempt, classifier.retryAfter(error));
            if (Duration.between(firstFailure, now).plus(wait).compareTo(config.maxElapsed()) > 0) {
                throw new CallFailedException(failure.after(attempt, firstFailure), error);
            }
            listener.retrying(failure, wait);
            log.info("attempt {} failed: {} {}; retrying in {} ms", attempt, failure.code(), failure.message(), wait.toMillis());
            try {
                time.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CallFailedException(new Failure(ErrorCodes.INTERRUPTED, "stopped while waiting to retry after "
                        + failure.code(), true, attempt, firstFailure), error);
            }
        }
    }

    /** Doubling from the initial backoff up to the cap, less up to {@code jitter} of it, at least what the provider asked. */
    Duration backoff(int attempt, Optional<Duration> retryAfter) {
        long base = config.initialBackoff().toMillis() << Math.min(attempt - 1, 30);
        long capped = Math.min(Math.max(base, 0), config.maxBackoff().toMillis());
        long jittered = capped - (long) (capped * config.jitter() * random.nextDouble());
        long asked = retryAfter.map(Duration::toMillis).orElse(0L);
        return Duration.ofMillis(Math.max(jittered, asked));
    }
}
