package io.travelart.devstack.openai;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** The simulated time an answer takes: the latency set, give or take its jitter (a share of it). */
final class Latency {

    private Latency() {
    }

    static void pause(Duration latency, double jitter) {
        long millis = latency.toMillis();
        if (millis <= 0) {
            return;
        }
        double factor = 1 + (ThreadLocalRandom.current().nextDouble() * 2 - 1) * jitter;
        try {
            Thread.sleep(Math.max(0, Math.round(millis * factor)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
