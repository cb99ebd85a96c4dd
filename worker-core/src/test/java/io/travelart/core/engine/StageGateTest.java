package io.travelart.core.engine;

import io.travelart.core.failure.Failure;
import io.travelart.core.failure.ErrorCodes;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.VirtualTime;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The gate in virtual time: what pauses it, how it probes and backs off, and what opens it. */
class StageGateTest {

    private final VirtualTime time = new VirtualTime();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final Deque<StageGate.Verdict> verdicts = new ArrayDeque<>();
    private final List<Failure> probed = new ArrayList<>();
    private final StageGate gate = new StageGate("IMAGE", new StageGate.Config(Duration.ofSeconds(5), Duration.ofSeconds(30)), time,
            cause -> {
                probed.add(cause);
                return verdicts.isEmpty() ? StageGate.Verdict.STILL_FAILING : verdicts.poll();
            }, Runnable::run, registry);

    private static final Failure MODEL_GONE = Failure.retriable(ErrorCodes.MODEL_UNAVAILABLE, "HTTP 404 model_not_found: gone");
    private static final Failure QUOTA = Failure.retriable(ErrorCodes.QUOTA_EXHAUSTED, "HTTP 429 insufficient_quota: pay");

    private void fail(Failure failure) {
        assertThatThrownBy(() -> gate.watch(e -> failure, () -> {
            throw new IllegalStateException(failure.code());
        })).isInstanceOf(IllegalStateException.class);
    }

    private void succeed() throws Exception {
        assertThat(gate.watch(e -> null, () -> "ok")).isEqualTo("ok");
    }

    private double pausedGauge(String reason) {
        return registry.get(StageGate.PAUSED).tag("reason", reason).gauge().value();
    }

    @Test
    void aFailureOfTheRequestNeitherPausesNorIsHeld() {
        Failure rateLimited = Failure.retriable(ErrorCodes.RATE_LIMITED, "slow down");
        fail(rateLimited);
        fail(Failure.permanent(ErrorCodes.CONTENT_POLICY, "no"));

        assertThat(gate.isPaused()).isFalse();
        assertThat(gate.admit()).isTrue();
        assertThat(gate.holds(rateLimited)).isFalse();
        assertThat(gate.holds(MODEL_GONE)).isTrue();
    }

    @Test
    void aWorkersFailurePausesUntilTheFreeProbeClearsItBackingOffMeanwhile() {
        fail(MODEL_GONE);

        assertThat(gate.isPaused()).isTrue();
        assertThat(gate.admit()).isFalse();
        assertThat(gate.pausedReason()).get().asString()
                .contains("IMAGE stage paused since").contains("MODEL_UNAVAILABLE").doesNotContain("HTTP 404").contains("next probe in 5 s");
        assertThat(pausedGauge(ErrorCodes.MODEL_UNAVAILABLE)).isEqualTo(1.0);

        // Probes at 5 s, then 10, 20, and 30 (the cap), each after the one before said "still failing".
        List<Long> probedAt = new ArrayList<>();
        long start = time.millis();
        for (int i = 0; i < 5; i++) {
            while (probed.size() == i) {
                assertThat(gate.admit()).as("the free probe answers; no record goes through").isFalse();
                time.advance(Duration.ofMillis(500));
            }
            probedAt.add((time.millis() - 500 - start) / 1000);
            start = time.millis() - 500;
        }
        assertThat(probedAt).containsExactly(5L, 10L, 20L, 30L, 30L);

        verdicts.add(StageGate.Verdict.CLEARED);
        time.advance(Duration.ofSeconds(30));
        assertThat(gate.admit()).as("this call runs the probe, which clears the gate").isFalse();
        assertThat(gate.isPaused()).isFalse();
        assertThat(gate.admit()).isTrue();
        assertThat(gate.pausedReason()).isEmpty();
        assertThat(pausedGauge(ErrorCodes.MODEL_UNAVAILABLE)).isZero();
    }

    @Test
    void whenNoFreeProbeCanTellOneRecordAtATimeProbesAndItsSuccessOpensTheGate() throws Exception {
        verdicts.add(StageGate.Verdict.CANNOT_TELL);
        fail(QUOTA);
        time.advance(Duration.ofSeconds(5));

        assertThat(gate.admit()).as("the free probe says it cannot tell").isFalse();
        assertThat(gate.admit()).as("so one record goes through as the probe").isTrue();
        assertThat(gate.admit()).as("and only one").isFalse();

        fail(QUOTA); // the probe's call: still out of credit
        assertThat(gate.isPaused()).isTrue();
        gate.probeDone();
        time.advance(Duration.ofSeconds(9));
        assertThat(gate.admit()).as("backed off to 10 s").isFalse();
        time.advance(Duration.ofSeconds(1));
        assertThat(gate.admit()).isTrue();

        succeed();
        gate.probeDone();
        assertThat(gate.isPaused()).isFalse();
        assertThat(gate.admit()).isTrue();
        assertThat(pausedGauge(ErrorCodes.QUOTA_EXHAUSTED)).isZero();
    }

    @Test
    void aProbeRecordThatMadeNoCallLetsTheNextOneProbe() {
        verdicts.add(StageGate.Verdict.CANNOT_TELL);
        fail(QUOTA);
        time.advance(Duration.ofSeconds(5));
        gate.admit();
        assertThat(gate.admit()).isTrue();

        gate.probeDone(); // answered from the store, or invalid: no call, no verdict
        assertThat(gate.isPaused()).isTrue();
        assertThat(gate.admit()).isTrue();
    }
}
