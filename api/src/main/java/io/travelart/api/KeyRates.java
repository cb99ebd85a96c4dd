package io.travelart.api;

import io.travelart.core.time.Time;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A rate limit per source system (so per key holder): a token bucket of {@code perMinute} tokens, full at the start, that
 * refills continuously. Never waits: a request over the limit is answered 429 with how long until a token is back.
 */
final class KeyRates {

    private final double perNano;
    private final double capacity;
    private final Time time;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    private static final class Bucket {
        double tokens;
        long at;
    }

    KeyRates(int perMinute, Time time) {
        this.capacity = perMinute;
        this.perNano = perMinute / 60e9;
        this.time = time;
    }

    /** Takes a token of {@code source}'s bucket; empty when there was one, else how long until there is. */
    Optional<Duration> take(String source) {
        Bucket bucket = buckets.computeIfAbsent(source, s -> {
            Bucket b = new Bucket();
            b.tokens = capacity;
            b.at = time.nanoTime();
            return b;
        });
        synchronized (bucket) {
            long now = time.nanoTime();
            bucket.tokens = Math.min(capacity, bucket.tokens + (now - bucket.at) * perNano);
            bucket.at = now;
            if (bucket.tokens >= 1) {
                bucket.tokens -= 1;
                return Optional.empty();
            }
            return Optional.of(Duration.ofNanos((long) Math.ceil((1 - bucket.tokens) / perNano)));
        }
    }
}
