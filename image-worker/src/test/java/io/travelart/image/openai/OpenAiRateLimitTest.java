package io.travelart.image.openai;

import io.travelart.core.worker.Guard;
import io.travelart.image.GeneratedImage;
import io.travelart.image.ImageGenerator;
import io.travelart.image.ImageSize;
import io.travelart.core.call.RateLimiter;
import io.travelart.core.call.RetryConfig;
import io.travelart.core.call.RetryPolicy;
import io.travelart.core.time.Time;
import io.travelart.core.openai.OpenAiClients;
import io.travelart.core.openai.OpenAiConfig;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.devstack.openai.OpenAiSimulator;
import io.travelart.devstack.openai.SimulatorSettings;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.random.RandomGenerator;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.travelart.core.engine.StageGate;

import static org.assertj.core.api.Assertions.assertThat;

/** Retries against the simulator's own images-per-minute limit, honouring what its 429s ask. */
class OpenAiRateLimitTest {

    @Test
    void callsOverTheProvidersLimitWaitWhatItAsksAndAllSucceedEachPaidOnce() throws Exception {
        // 60 images per minute: the simulator lets one through, then one per second, and says so in its 429s.
        try (OpenAiSimulator simulator = OpenAiSimulator.start(SimulatorSettings.instant().withImagesPerMinute(60)
                .withReusedImages(true))) {
            var client = OpenAiClients.create(new OpenAiConfig(Optional.of("sk-test"), simulator.baseUrl(), Duration.ofSeconds(10),
                    true), 4);
            ExecutorService pool = Executors.newFixedThreadPool(3);
            try {
                RateLimiter limiter = RateLimiter.unlimited("images", Time.SYSTEM);
                var errors = new OpenAiErrors(Time.SYSTEM);
                var retry = new RetryPolicy(new RetryConfig(10, Duration.ofMillis(10), Duration.ofSeconds(5), Duration.ofSeconds(30), 0),
                        errors, Time.SYSTEM, RandomGenerator.getDefault(), RetryPolicy.Listener.NONE);
                Guard guard = new Guard(retry, StageGate.withoutFreeProbe("IMAGE", new SimpleMeterRegistry()), errors);
                ImageGenerator images = new OpenAiImageGenerator(client, "gpt-image-2.6-flare", Duration.ofSeconds(10));
                ImageGenerator guarded = (requestId, prompt, size, quality) -> guard.call(limiter,
                        () -> images.generate(requestId, prompt, size, quality));

                List<CompletableFuture<GeneratedImage>> calls = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    String id = "held-" + i;
                    calls.add(CompletableFuture.supplyAsync(() -> guarded.generate(id, "Bergen harbour", new ImageSize(256, 256), "low"), pool));
                }
                calls.forEach(CompletableFuture::join);

                // Three calls at once against a bucket of one refilled each second: two 429s at first. Retrying
                // after the 10 ms backoff instead of the second the 429 asks for would run into the limit
                // dozens of times; honouring it (and holding the instance off) keeps it to a handful. How long the guard
                // waits is checked in virtual time by GuardTest.
                assertThat(simulator.rateLimitedCalls()).isBetween(2L, 5L);
                for (int i = 0; i < 3; i++) {
                    assertThat(simulator.billed(OpenAiSimulator.Endpoint.IMAGES, "held-" + i)).isEqualTo(1);
                }
            } finally {
                pool.shutdownNow();
                client.close();
            }
        }
    }
}
