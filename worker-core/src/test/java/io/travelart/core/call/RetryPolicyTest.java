package io.travelart.core.call;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.CallFailedException;

import io.travelart.core.VirtualTime;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The retry policy in virtual time: what it waits, when it gives up, and what the final failure says. */
class RetryPolicyTest {

    /** Classifies by message: "transient", "permanent", or "slow-down:<ms>" (transient, with a retry-after). */
    static final ErrorClassifier BY_MESSAGE = new ErrorClassifier() {
        @Override
        public Failure classify(Throwable error) {
            String m = error.getMessage();
            return m.startsWith("permanent") ? Failure.permanent(ErrorCodes.AUTH, m)
                    : Failure.retriable(m.startsWith("slow-down") ? ErrorCodes.RATE_LIMITED : ErrorCodes.UPSTREAM_5XX, m);
        }

        @Override
        public Optional<Duration> retryAfter(Throwable error) {
            String m = error.getMessage();
            return m.startsWith("slow-down:") ? Optional.of(Duration.ofMillis(Long.parseLong(m.substring(10)))) : Optional.empty();
        }
    };

    private final VirtualTime time = new VirtualTime();
    private final List<String> retried = new ArrayList<>();

    private RetryPolicy policy(RetryConfig config, double randomValue) {
        RandomGenerator fixed = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public double nextDouble() {
                return randomValue;
            }
        };
        return new RetryPolicy(config, BY_MESSAGE, time, fixed, (failure, wait) -> retried.add(failure.code() + " " + wait.toMillis()));
    }

    private static RetryConfig config(int attempts, Duration maxElapsed) {
        return new RetryConfig(attempts, Duration.ofMillis(100), Duration.ofSeconds(1), maxElapsed, 0.5);
    }

    @Test
    void transientFailuresAreRetriedWithDoublingCappedBackoffUntilTheCallSucceeds() {
        AtomicInteger calls = new AtomicInteger();
        String result = policy(config(10, Duration.ofMinutes(1)), 0.0).call(() -> {
            if (calls.incrementAndGet() < 6) {
                throw new IllegalStateException("transient");
            }
            return "ok";
        });

        assertThat(result).isEqualTo("ok");
        assertThat(calls).hasValue(6);
        assertThat(time.sleeps()).extracting(Duration::toMillis).containsExactly(100L, 200L, 400L, 800L, 1000L);
    }

    @Test
    void jitterShortensEachWaitByUpToItsShare() {
        AtomicInteger calls = new AtomicInteger();
        policy(config(3, Duration.ofMinutes(1)), 0.999).call(() -> {
            if (calls.incrementAndGet() < 3) {
                throw new IllegalStateException("transient");
            }
            return "ok";
        });
        // jitter 0.5 at the top of the random range: half of 100 and of 200 ms.
        assertThat(time.sleeps()).extracting(Duration::toMillis).containsExactly(51L, 101L);
    }

    @Test
    void theProvidersRetryAfterIsHonouredWhenLongerThanTheBackoff() {
        AtomicInteger calls = new AtomicInteger();
        policy(config(5, Duration.ofMinutes(1)), 0.0).call(() -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("slow-down:7500");
            }
            return "ok";
        });
        assertThat(time.sleeps()).containsExactly(Duration.ofMillis(7500));
        assertThat(retried).containsExactly("RATE_LIMITED 7500");
    }

    @Test
    void permanentFailuresAreNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> policy(config(5, Duration.ofMinutes(1)), 0.0).call(() -> {
            calls.incrementAndGet();
            throw new IllegalStateException("permanent: bad key");
        })).isInstanceOfSatisfying(CallFailedException.class, e -> {
            assertThat(e.failure().code()).isEqualTo(ErrorCodes.AUTH);
            assertThat(e.failure().retriable()).isFalse();
            assertThat(e.failure().attempts()).isEqualTo(1);
        });
        assertThat(calls).hasValue(1);
        assertThat(time.sleeps()).isEmpty();
    }

    @Test
    void exhaustedAttemptsFailAsRetriableWithTheAttemptsAndTheFirstFailureTime() {
        var start = time.instant();
        assertThatThrownBy(() -> policy(config(4, Duration.ofMinutes(1)), 0.0).call(() -> {
            throw new IllegalStateException("transient");
        })).isInstanceOfSatisfying(CallFailedException.class, e -> {
            assertThat(e.failure().code()).isEqualTo(ErrorCodes.UPSTREAM_5XX);
            assertThat(e.failure().retriable()).isTrue();
            assertThat(e.failure().attempts()).isEqualTo(4);
            assertThat(e.failure().firstFailureAt()).isEqualTo(start);
        });
        assertThat(time.sleeps()).hasSize(3);
    }

    @Test
    void noRetryIsStartedThatWouldEndPastTheElapsedBudget() {
        AtomicInteger calls = new AtomicInteger();
        // Budget 2 s: waits 100+200+400+800 = 1.5 s fit, the next 1 s would end at 2.5 s.
        assertThatThrownBy(() -> policy(config(100, Duration.ofSeconds(2)), 0.0).call(() -> {
            calls.incrementAndGet();
            throw new IllegalStateException("transient");
        })).isInstanceOfSatisfying(CallFailedException.class, e -> assertThat(e.failure().attempts()).isEqualTo(5));
        assertThat(calls).hasValue(5);
    }
}
