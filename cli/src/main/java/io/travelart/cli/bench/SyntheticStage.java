package io.travelart.cli.bench;

import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A stage with no API behind it, to measure the engine: {@code noop} answers at once; {@code sleep}
 * answers after a random 0..max time, on a timer (no thread held), like an asynchronous call.
 */
final class SyntheticStage extends KeywordStage<PromptCreated> {

    private final long maxMicros;
    private final ScheduledExecutorService timer;

    SyntheticStage(long maxMicros, ScheduledExecutorService timer) {
        this.maxMicros = maxMicros;
        this.timer = timer;
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
        CompletableFuture<Outcome<PromptCreated>> result = new CompletableFuture<>();
        long delay = ThreadLocalRandom.current().nextLong(maxMicros + 1);
        timer.schedule(() -> result.complete(Outcome.published(output(input))), delay, TimeUnit.MICROSECONDS);
        return result;
    }
}
