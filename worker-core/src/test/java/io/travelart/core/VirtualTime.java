package io.travelart.core;

import io.travelart.core.time.Time;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Time that only moves when someone sleeps on it or the test advances it: backoff, limits and deadlines without waiting. */
public final class VirtualTime extends Time {

    private static final Instant ORIGIN = Instant.parse("2026-11-24T12:00:00Z");

    private Instant now = ORIGIN;
    private final List<Duration> sleeps = new ArrayList<>();

    @Override
    public synchronized void sleep(Duration duration) {
        sleeps.add(duration);
        now = now.plus(duration);
    }

    public synchronized void advance(Duration duration) {
        now = now.plus(duration);
    }

    public synchronized List<Duration> sleeps() {
        return List.copyOf(sleeps);
    }

    @Override
    public synchronized Instant instant() {
        return now;
    }

    @Override
    public synchronized long nanoTime() {
        return Duration.between(ORIGIN, now).toNanos();
    }
}
