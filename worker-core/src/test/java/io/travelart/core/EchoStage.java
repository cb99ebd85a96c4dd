package io.travelart.core;

import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** Echoes the keyword as the prompt after a random delay, or fails keywords starting with "fail". */
public final class EchoStage extends KeywordStage<PromptCreated> {
    @Override
    public CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested input) {
        if (input.getKeyword().startsWith("fail")) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, "no")));
        }
        return CompletableFuture.supplyAsync(() -> Outcome.published(PromptCreated.newBuilder()
                        .setRequestId(input.getRequestId()).setRequest(input).setPrompt("prompt for " + input.getKeyword())
                        .setModel("echo").setPromptLatencyMs(0).setCreatedAt(Instant.now()).build()),
                CompletableFuture.delayedExecutor(ThreadLocalRandom.current().nextInt(30), TimeUnit.MILLISECONDS));
    }
}

