package io.travelart.core.time;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The one source of time in worker-core: the wall clock ({@link #instant()}, for dates people read), the
 * monotonic clock ({@link #nanoTime()}, for durations and deadlines: it never jumps when NTP sets the wall
 * clock) and {@link #sleep}. It is a {@link Clock}, so it goes wherever one does. Tests pass a virtual
 * implementation, and backoff, deadlines and commit intervals run without waiting.
 */
public abstract class Time extends Clock implements Sleeper {

    public static final Time SYSTEM = new Time() {
        @Override
        public Instant instant() {
            return Instant.now();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public void sleep(Duration duration) throws InterruptedException {
            Sleeper.SYSTEM.sleep(duration);
        }
    };

    /** Monotonic nanoseconds, for durations only: the origin is arbitrary. */
    public abstract long nanoTime();

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
