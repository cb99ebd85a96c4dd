package io.travelart.core;

import io.travelart.core.engine.KeywordStage;
import io.travelart.core.engine.Outcome;
import io.travelart.events.KeywordRequested;
import io.travelart.events.PromptCreated;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/** A stage whose calls finish only when the test says: to hold work in flight, and to finish it in any order. */
public final class GatedStage extends KeywordStage<PromptCreated> {

    public record Call(KeywordRequested input, CompletableFuture<Outcome<PromptCreated>> future) {
        public void finish() {
            future.complete(Outcome.published(PromptCreated.newBuilder()
                    .setRequestId(input.getRequestId()).setRequest(input).setPrompt("prompt for " + input.getKeyword())
                    .setModel("gated").setPromptLatencyMs(0).setCreatedAt(Instant.now()).build()));
        }
    }

    private final List<Call> calls = new ArrayList<>();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger maxOpen = new AtomicInteger();

    @Override
    public synchronized CompletableFuture<Outcome<PromptCreated>> process(KeywordRequested input) {
        var future = new CompletableFuture<Outcome<PromptCreated>>();
        maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
        calls.add(new Call(input, future));
        // The engine sees the call finish only after it is counted as closed.
        return future.thenApply(outcome -> {
            open.decrementAndGet();
            return outcome;
        });
    }

    /** Every call started so far, in start order (a record started again after a rebalance appears twice). */
    public synchronized List<Call> calls() {
        return new ArrayList<>(calls);
    }

    /** Calls started and not finished. */
    public int open() {
        return open.get();
    }

    /** The most calls that were ever open at once. */
    public int maxOpen() {
        return maxOpen.get();
    }

    /** Finishes every open call. */
    public void finishAll() {
        calls().stream().filter(c -> !c.future().isDone()).forEach(Call::finish);
    }
}
