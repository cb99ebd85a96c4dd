package io.travelart.api;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class RequestIdsTest {

    @Test
    void anIdTravelartMakesSaysWhenItWasMadeAndIdsSortByIt() throws InterruptedException {
        Instant before = Instant.now();
        String first = RequestIds.next();
        String second = RequestIds.next();
        Instant after = Instant.now();

        assertThat(UUID.fromString(first).version()).isEqualTo(7);
        assertThat(RequestIds.madeAt(first)).hasValueSatisfying(t ->
                assertThat(t).isBetween(before.minus(Duration.ofMillis(1)), after.plus(Duration.ofMillis(1))));
        assertThat(first).isLessThan(second);
    }

    @Test
    void otherIdsTellNoTime() {
        assertThat(RequestIds.madeAt(UUID.randomUUID().toString())).isEmpty();
        assertThat(RequestIds.madeAt("order-4711")).isEmpty();
        assertThat(RequestIds.madeAt("")).isEmpty();
        // A v7 written short (UUID.fromString accepts "1-1-7-1-1") is not one Travelart made.
        assertThat(RequestIds.madeAt("1-1-7001-8001-1")).isEmpty();
        assertThat(RequestIds.madeAt("018f3c6e-1b2a-7c3d-8e4f-0123456789ab")).contains(Instant.ofEpochMilli(0x018f3c6e1b2aL));
    }
}
