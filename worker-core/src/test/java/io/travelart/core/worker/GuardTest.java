package io.travelart.core.worker;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.VirtualTime;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryConfig;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.engine.StageGate;
import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The one guard of every port, in virtual time: a permit per attempt, what a 429 asks honoured, a worker's failure pausing the stage. */
class GuardTest {

    /** "slow-down:<ms>" is a 429 asking for that wait, "key refused" the worker's own failure, anything else a 5xx. */
    private static final ErrorClassifier ERRORS = new ErrorClassifier() {
        @Override
        public Failure classify(Throwable error) {
            String m = error.getMessage();
            return m.startsWith("slow-down") ? Failure.retriable(ErrorCodes.RATE_LIMITED, m)
                    : m.equals("key refused") ? Failure.permanent(ErrorCodes.AUTH, m)
                    : Failure.retriable(ErrorCodes.UPSTREAM_5XX, m);
        }

        @Override
        public Optional<Duration> retryAfter(Throwable error) {
            String m = error.getMessage();
            return m.startsWith("slow-down:") ? Optional.of(Duration.ofMillis(Long.parseLong(m.substring(10)))) : Optional.empty();
        }
    };

    private final VirtualTime time = new VirtualTime();
    private final StageGate gate = StageGate.withoutFreeProbe("IMAGE", new SimpleMeterRegistry());
    private final Guard guard = new Guard(new RetryPolicy(new RetryConfig(5, Duration.ofMillis(10), Duration.ofSeconds(5),
            Duration.ofMinutes(1), 0), ERRORS, time, RandomGenerator.getDefault(), RetryPolicy.Listener.NONE), gate, ERRORS);

    @Test
    void everyAttemptTakesAPermitOfTheLimit() {
        RateLimiter sixtyAMinute = new RateLimiter("images", 60, time);
        long started = time.nanoTime();

        for (int i = 0; i < 3; i++) {
            assertThat(guard.call(sixtyAMinute, () -> "drawn")).isEqualTo("drawn");
        }

        // The first permit is free, then one a second.
        assertThat(Duration.ofNanos(time.nanoTime() - started)).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void aRateLimitedAttemptIsRetriedAfterTheWaitTheProviderAsksForNotTheShortBackoff() {
        RateLimiter unlimited = RateLimiter.unlimited("images", time);
        AtomicInteger attempts = new AtomicInteger();
        long started = time.nanoTime();

        String result = guard.call(unlimited, () -> {
            if (attempts.incrementAndGet() == 1) {
                throw new IllegalStateException("slow-down:1500");
            }
            return "drawn";
        });

        assertThat(result).isEqualTo("drawn");
        assertThat(attempts).hasValue(2);
        assertThat(Duration.ofNanos(time.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(1500));
        // Every other caller of the instance is held off as long.
        long other = time.nanoTime();
        guard.call(unlimited, () -> "next");
        assertThat(time.nanoTime()).isEqualTo(other);
    }

    @Test
    void aFailureOfTheWorkerIsNotRetriedAndPausesTheStage() {
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> guard.call(() -> {
            attempts.incrementAndGet();
            throw new IllegalStateException("key refused");
        })).isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.failure().code()).isEqualTo(ErrorCodes.AUTH));

        assertThat(attempts).hasValue(1);
        assertThat(gate.isPaused()).isTrue();
    }

    @Test
    void aTransientFailureIsRetriedAndLeavesTheStageRunning() {
        AtomicInteger attempts = new AtomicInteger();

        String result = guard.call(() -> {
            if (attempts.incrementAndGet() < 3) {
                throw new IllegalStateException("HTTP 503");
            }
            return "checked";
        });

        assertThat(result).isEqualTo("checked");
        assertThat(attempts).hasValue(3);
        assertThat(gate.isPaused()).isFalse();
    }
}
