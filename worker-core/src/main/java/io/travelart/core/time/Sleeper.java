package io.travelart.core.time;

import java.time.Duration;

/** Waits; the other half of a {@link java.time.Clock}, so that backoff and rate limits are tested in virtual time. */
@FunctionalInterface
public interface Sleeper {

    Sleeper SYSTEM = duration -> {
        if (!duration.isNegative() && !duration.isZero()) {
            Thread.sleep(duration.toMillis(), (int) (duration.toNanosPart() % 1_000_000));
        }
    };

    void sleep(Duration duration) throws InterruptedException;
}
