package io.travelart.image;

import io.travelart.core.failure.ErrorClassifier;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Stage;
import io.travelart.core.failure.StageNames;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * prompt-created → image-ready: generates the image, stores it, and publishes where it is ({@link ImageOutcomes}: no
 * image is bought twice). A request that arrives again while its call is still running (the engine read its records
 * again after an aborted transaction) joins that call. A request of priority {@code batch} is handed to the batch lane
 * when there is one.
 */
public final class ImageStage implements Stage<PromptCreated, ImageReady> {

    private static final Logger log = LoggerFactory.getLogger(ImageStage.class);

    private final ImageGenerator generator;
    private final String generatorModel;
    private final ImageOutcomes outcomes;
    private final Executor executor;
    private final Clock clock;
    private final ErrorClassifier errors;
    private final ImageDefaults defaults;
    private final Optional<String> batchTopic;
    private final ImageMemory memory;
    private final ConcurrentHashMap<String, CompletableFuture<Outcome<ImageReady>>> running = new ConcurrentHashMap<>();

    /**
     * @param generatorModel the image model, named in the image-ready of a request whose stored image is reused
     * @param store          where images go; a {@link RetryingImageStore} retries a write with the bytes it holds
     * @param links          the URL published for a stored image
     */
    public ImageStage(ImageGenerator generator, String generatorModel, ImageStore store, ImageLinks links, Executor executor,
                      Clock clock, ErrorClassifier errors, ImageSize defaultSize, String defaultQuality) {
        this(generator, generatorModel, new ImageOutcomes(store, links, generatorModel, clock), executor, clock, errors,
                new ImageDefaults(defaultSize, defaultQuality), Optional.empty(), ImageMemory.UNBOUNDED);
    }

    /**
     * @param outcomes   how a drawn image becomes an image-ready, shared with the batch lane
     * @param batchTopic where requests of priority batch go, for the batch lane to answer; empty: they are drawn at once
     * @param memory     the room for answers the generator reads in; released here once the image is stored
     * @param errors     the classifier of the provider's errors, for what the generator throws
     */
    public ImageStage(ImageGenerator generator, String generatorModel, ImageOutcomes outcomes, Executor executor, Clock clock,
                      ErrorClassifier errors, ImageDefaults defaults, Optional<String> batchTopic, ImageMemory memory) {
        this.errors = errors;
        this.memory = memory;
        this.generator = generator;
        this.generatorModel = generatorModel;
        this.outcomes = outcomes;
        this.executor = executor;
        this.clock = clock;
        this.defaults = defaults;
        this.batchTopic = batchTopic;
    }

    @Override
    public String name() {
        return StageNames.IMAGE;
    }

    @Override
    public Class<PromptCreated> inputType() {
        return PromptCreated.class;
    }

    @Override
    public String requestId(PromptCreated input) {
        return input.getRequestId();
    }

    @Override
    public String keyword(PromptCreated input) {
        return input.getRequest().getKeyword();
    }

    @Override
    public CompletableFuture<Outcome<ImageReady>> process(PromptCreated input) {
        return process(input, true);
    }

    /**
     * Draws a request now, whatever its priority: the batch lane's fallback when the Batch API will not take its model.
     * The same checks, retry budget, gate and store as any interactive request, at the interactive price.
     */
    public CompletableFuture<Outcome<ImageReady>> drawNow(PromptCreated input) {
        return process(input, false);
    }

    private CompletableFuture<Outcome<ImageReady>> process(PromptCreated input, boolean batchMayWait) {
        Optional<String> outOfBounds = RequestBounds.problem(input);
        if (outOfBounds.isPresent()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, outOfBounds.get())));
        }
        ImageDefaults.Asked asked = defaults.ask(input, generatorModel);
        if (asked.problem() != null) {
            return CompletableFuture.completedFuture(Outcome.failed(asked.problem()));
        }
        if (batchMayWait && batchTopic.isPresent() && Priorities.BATCH.equals(Priorities.of(input.getRequest()))) {
            // It can wait: handed to the batch lane now, so that its offset is not held for hours.
            return CompletableFuture.completedFuture(Outcome.forwarded(batchTopic.get(), input));
        }
        CompletableFuture<Outcome<ImageReady>> mine = new CompletableFuture<>();
        CompletableFuture<Outcome<ImageReady>> theirs = running.putIfAbsent(input.getRequestId(), mine);
        if (theirs != null) {
            log.info("request {}: its image is being generated already; waiting for that call", input.getRequestId());
            return theirs;
        }
        CompletableFuture.supplyAsync(() -> generate(input, asked.size(), asked.quality()), executor).whenComplete((outcome, error) -> {
            // Removed before completing: whoever comes after the outcome finds the stored image instead.
            running.remove(input.getRequestId(), mine);
            if (error != null) {
                mine.completeExceptionally(error);
            } else {
                mine.complete(outcome);
            }
        });
        return mine;
    }

    private Outcome<ImageReady> generate(PromptCreated input, ImageSize size, String quality) {
        Optional<Outcome<ImageReady>> stored = outcomes.stored(input, Priorities.INTERACTIVE);
        if (stored.isPresent()) {
            return stored.get();
        }
        Instant started = clock.instant();
        try {
            GeneratedImage image;
            try {
                image = generator.generate(input.getRequestId(), input.getPrompt(), size, quality);
            } catch (RuntimeException e) {
                return Outcome.failed(errors.classify(e));
            }
            long latencyMs = clock.instant().toEpochMilli() - started.toEpochMilli();
            return outcomes.keep(input, size, image, latencyMs, Priorities.INTERACTIVE);
        } finally {
            // Stored or not, this call's answer is done with: the next answer may be read (ImageMemory).
            memory.leave();
        }
    }
}
