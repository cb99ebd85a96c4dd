package io.travelart.core.call;

import java.time.Duration;

/**
 * How transient failures are retried: at most {@code maxAttempts} calls, waits growing from
 * {@code initialBackoff} by doubling up to {@code maxBackoff}, each shortened at random by up to
 * {@code jitter} (0..1) of itself, never shorter than the provider's retry headers ask, and no retry
 * that would end after {@code maxElapsed} since the first failure.
 */
public record RetryConfig(int maxAttempts, Duration initialBackoff, Duration maxBackoff, Duration maxElapsed, double jitter) {

    public RetryConfig {
        if (jitter < 0 || jitter > 1) {
            throw new IllegalArgumentException("jitter is " + jitter + ": accepted values are 0 to 1");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("the longest backoff (" + maxBackoff + ") is shorter than the first ("
                    + initialBackoff + ")");
        }
    }

    /** No retries: one attempt. */
    public static RetryConfig none() {
        return new RetryConfig(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0);
    }
}
