package io.travelart.core.call;

import io.travelart.core.VirtualTime;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-minute limiter in virtual time. */
class RateLimiterTest {

    private final VirtualTime time = new VirtualTime();

    @Test
    void permitsAreHandedOutEvenlyAtTheLimit() throws Exception {
        RateLimiter limiter = new RateLimiter("images", 600, time);
        Instant start = time.instant();
        List<Long> at = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            limiter.acquire(1);
            at.add(Duration.between(start, time.instant()).toMillis());
        }
        // 600 per minute: one every 100 ms, the first at once; 1200 take two minutes less one step.
        assertThat(at.subList(0, 4)).containsExactly(0L, 100L, 200L, 300L);
        assertThat(at.get(1199)).isEqualTo(119_900L);
    }

    @Test
    void aLargeRequestPushesLaterCallersBackAndAnAdjustmentGivesPermitsBack() throws Exception {
        RateLimiter tokens = new RateLimiter("tokens", 60_000, time); // one token per millisecond
        Instant start = time.instant();
        tokens.acquire(500);
        tokens.adjust(-300); // the call used 200, not 500
        tokens.acquire(1);
        assertThat(Duration.between(start, time.instant())).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void aRateLimitAnswerHoldsEveryCallerOffForWhatTheProviderAsks() throws Exception {
        RateLimiter limiter = RateLimiter.unlimited("images", time);
        Instant start = time.instant();
        assertThatThrownBy(() -> limiter.call(1, RetryPolicyTest.BY_MESSAGE, () -> {
            throw new IllegalStateException("slow-down:2500");
        })).hasMessage("slow-down:2500");

        // Another caller, not the one that got the 429, waits too.
        String answer = limiter.call(1, RetryPolicyTest.BY_MESSAGE, () -> "ok");
        assertThat(answer).isEqualTo("ok");
        assertThat(Duration.between(start, time.instant())).isEqualTo(Duration.ofMillis(2500));
        assertThat(limiter.waited()).isEqualTo(Duration.ofMillis(2500));
    }

    @Test
    void otherFailuresDoNotHoldAnybodyOff() throws Exception {
        RateLimiter limiter = RateLimiter.unlimited("images", time);
        Instant start = time.instant();
        assertThatThrownBy(() -> limiter.call(1, RetryPolicyTest.BY_MESSAGE, () -> {
            throw new IllegalStateException("transient");
        }));
        limiter.acquire(1);
        assertThat(time.instant()).isEqualTo(start);
    }
}
