package io.travelart.cli.bench;

import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A stage with no API behind it, to measure the engine: {@code noop} answers at once; {@code sleep}
 * answers after a random 0..max time, each call blocking a virtual thread of its own for that time, the way the real
 * stages' calls do ({@link io.travelart.core.worker.CallPool}).
 */
final class SyntheticStage extends KeywordStage<PromptCreated> {

    private final long maxMicros;
    private final Executor calls;

    SyntheticStage(long maxMicros, Executor calls) {
        this.maxMicros = maxMicros;
        this.calls = calls;
    }

    static PromptCreated output(KeywordRequested input) {
        return PromptCreated.newBuilder().setRequestId(input.getRequestId()).setRequest(input)
                .setPrompt("Concept art of " + input.getKeyword()).setModel("bench").setPromptLatencyMs(0)
                .setCreatedAt(Instant.now()).build();
    }

    @Override
    public CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested input) {
        if (maxMicros <= 0) {
            return CompletableFuture.completedFuture(Outcome.published(output(input)));
        }
        long delay = ThreadLocalRandom.current().nextLong(maxMicros + 1);
        return CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(Duration.ofNanos(delay * 1000)); // the call's time: this bench's simulated API
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Outcome.published(output(input));
        }, calls);
    }
}
