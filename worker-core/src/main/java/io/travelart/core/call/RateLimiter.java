package io.travelart.core.call;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.time.Time;

import io.travelart.core.failure.ErrorCodes;

import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * A per-minute limit on calls, images or tokens, shared by every call of one worker instance. Permits
 * are handed out evenly, one every {@code 60 s / limit}, with no burst: the provider quantises its
 * per-minute limits over shorter windows, and an even pace never trips them. A request for more
 * permits than one reserves its slot now and pushes later callers back (tokens of a large prompt).
 *
 * <p>{@link #holdOff} stops every caller until the given time: a 429 slows the whole instance down
 * for as long as the provider asks, not just the one call.
 *
 * <p>Hand-written: Resilience4j's limiter (on Maven Central here) has no instance-wide hold-off and reads
 * its own nanosecond clock, so its tests could not run in virtual time; Bucket4j is not in the package
 * list of this workplace.
 */
public final class RateLimiter {

    private final String name;
    private final long nanosPerPermit;
    private final Time time;
    /** When the next permit is free, in nanoseconds on the monotonic clock. */
    private long nextFree;
    private long holdUntil;
    private long waitedNanos;

    public RateLimiter(String name, long limitPerMinute, Time time) {
        this.name = name;
        this.nanosPerPermit = limitPerMinute <= 0 ? 0 : Duration.ofMinutes(1).toNanos() / limitPerMinute;
        this.time = time;
    }

    /** A limiter that never waits, except when held off after a 429. */
    public static RateLimiter unlimited(String name, Time time) {
        return new RateLimiter(name, 0, time);
    }

    /** Waits until {@code permits} may be used. */
    public void acquire(long permits) throws InterruptedException {
        Duration wait = reserve(permits);
        if (!wait.isZero()) {
            time.sleep(wait);
        }
    }

    synchronized Duration reserve(long permits) {
        long now = nanos();
        long start = Math.max(now, Math.max(nextFree, holdUntil));
        nextFree = start + nanosPerPermit * permits;
        long wait = start - now;
        waitedNanos += wait;
        return Duration.ofNanos(wait);
    }

    /**
     * Runs a call after acquiring its permits. A call the provider answers with 429 holds every caller
     * off for as long as the provider asks (one second when it does not say).
     */
    public <T> T call(long permits, ErrorClassifier classifier, Callable<T> call) throws Exception {
        acquire(permits);
        try {
            return call.call();
        } catch (Exception e) {
            if (ErrorCodes.RATE_LIMITED.equals(classifier.classify(e).code())) {
                holdOff(classifier.retryAfter(e).orElse(Duration.ofSeconds(1)));
            }
            throw e;
        }
    }

    /** Gives back (negative) or takes more (positive) permits than were acquired, once the real cost is known. */
    public synchronized void adjust(long permits) {
        nextFree += nanosPerPermit * permits;
    }

    /** Nobody gets a permit before {@code duration} from now. */
    public synchronized void holdOff(Duration duration) {
        holdUntil = Math.max(holdUntil, nanos() + duration.toNanos());
    }

    @Override
    public String toString() {
        return name + " limiter";
    }

    /** Total time callers were told to wait, for metrics and the bench. */
    public synchronized Duration waited() {
        return Duration.ofNanos(waitedNanos);
    }

    private long nanos() {
        return time.nanoTime();
    }
}
