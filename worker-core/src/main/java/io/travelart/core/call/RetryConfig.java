package io.travelart.core.call;

import io.travelart.core.config.ConfigException;
import io.travelart.core.config.Settings;

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
            throw new ConfigException("TRAVELART_RETRY_JITTER is " + jitter + ": accepted values are 0 to 1");
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new ConfigException("TRAVELART_RETRY_MAX_BACKOFF (" + maxBackoff + ") is shorter than TRAVELART_RETRY_INITIAL_BACKOFF ("
                    + initialBackoff + ")");
        }
    }

    public static RetryConfig from(Settings settings) {
        String jitter = settings.string("TRAVELART_RETRY_JITTER", "0.5");
        double parsed;
        try {
            parsed = Double.parseDouble(jitter);
        } catch (NumberFormatException e) {
            throw new ConfigException("TRAVELART_RETRY_JITTER is '" + jitter + "': accepted values are numbers from 0 to 1");
        }
        return new RetryConfig(
                settings.intValue("TRAVELART_RETRY_MAX_ATTEMPTS", 8, 1, 1000),
                settings.duration("TRAVELART_RETRY_INITIAL_BACKOFF", Duration.ofMillis(500)),
                settings.duration("TRAVELART_RETRY_MAX_BACKOFF", Duration.ofSeconds(30)),
                settings.duration("TRAVELART_RETRY_MAX_ELAPSED", Duration.ofMinutes(2)),
                parsed);
    }

    /** No retries: one attempt. */
    public static RetryConfig none() {
        return new RetryConfig(1, Duration.ZERO, Duration.ZERO, Duration.ZERO, 0);
    }
}
