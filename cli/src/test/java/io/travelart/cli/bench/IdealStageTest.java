package io.travelart.cli.bench;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class IdealStageTest {

    private static long[] allAtOnce(int n) {
        return new long[n];
    }

    @Test
    void wholeWavesOfExactCallsReachTheLimitExactly() {
        // 4 waves of 10 calls of exactly 1 s: 40 calls in 4 s, 10/s, the limit.
        assertThat(IdealStage.ratio(allAtOnce(40), 10, Duration.ofSeconds(1), 0, 1, 1)).isCloseTo(1.0, within(1e-9));
        // 41 calls: a fifth wave for one call, 41 in 5 s.
        assertThat(IdealStage.ratio(allAtOnce(41), 10, Duration.ofSeconds(1), 0, 1, 1)).isCloseTo(41 / 50.0, within(1e-9));
    }

    @Test
    void arrivalsSlowerThanTheLimitHoldTheStageBelowIt() {
        // One prompt a second into a stage of 10 slots of 1 s: 100 calls end 100 s after the first arrival, 0.1 of its limit.
        long[] arrivals = LongStream.range(0, 100).map(i -> i * 1_000_000_000L).toArray();
        assertThat(IdealStage.ratio(arrivals, 10, Duration.ofSeconds(1), 0, 1, 1)).isCloseTo(100 / 100.0 / 10, within(1e-9));
    }

    @Test
    void fewWavesOfJitteredCallsCannotReachTheLimit() {
        // The command at 1024 in flight: 3000 prompts, 16 s ±20%: under three waves.
        double threeWaves = IdealStage.ratio(allAtOnce(3000), 1024, Duration.ofSeconds(16), 0.2, 5, 7);
        assertThat(threeWaves).isBetween(0.82, 0.88);
        // Ten times the waves: close to the limit.
        assertThat(IdealStage.ratio(allAtOnce(30_000), 1024, Duration.ofSeconds(16), 0.2, 3, 7)).isGreaterThan(0.97);
    }
}
