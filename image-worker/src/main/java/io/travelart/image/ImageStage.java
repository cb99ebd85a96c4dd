package io.travelart.image;

import io.travelart.core.failure.CallFailedException;
import io.travelart.core.failure.ErrorCodes;
import io.travelart.core.failure.Failure;
import io.travelart.core.engine.Outcome;
import io.travelart.core.engine.Stage;
import io.travelart.core.failure.StageNames;
import io.travelart.core.openai.ImageModels;
import io.travelart.core.openai.OpenAiErrors;
import io.travelart.events.ImageReady;
import io.travelart.events.Priorities;
import io.travelart.events.PromptCreated;
import io.travelart.events.RequestBounds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * prompt-created → image-ready: generates the image, stores it, and publishes where it is. No image is
 * bought twice: a request whose image is already stored (redelivered after a crash, or replayed) is
 * answered from the store without a call, and a request that arrives again while its call is still
 * running (the engine read its records again after an aborted transaction) joins that call.
 */
public final class ImageStage implements Stage<PromptCreated, ImageReady> {

    private static final Logger log = LoggerFactory.getLogger(ImageStage.class);

    private final ImageGenerator generator;
    private final ImageStore store;
    private final Executor executor;
    private final Clock clock;
    private final ImageSize defaultSize;
    private final String defaultQuality;
    private final ImageLinks links;
    private final Optional<String> batchTopic;
    private final String generatorModel;
    private final ConcurrentHashMap<String, CompletableFuture<Outcome<ImageReady>>> running = new ConcurrentHashMap<>();

    /**
     * @param generatorModel the image model, named in the image-ready of a request whose stored image is reused
     * @param store          where images go; a {@link RetryingImageStore} retries a write with the bytes it holds
     * @param links          the URL published for a stored image
     */
    public ImageStage(ImageGenerator generator, String generatorModel, ImageStore store, ImageLinks links, Executor executor,
                      Clock clock, ImageSize defaultSize, String defaultQuality) {
        this(generator, generatorModel, store, links, executor, clock, defaultSize, defaultQuality, Optional.empty());
    }

    /** @param batchTopic where requests of priority batch go, for the batch lane to answer; empty: they are drawn at once */
    public ImageStage(ImageGenerator generator, String generatorModel, ImageStore store, ImageLinks links, Executor executor,
                      Clock clock, ImageSize defaultSize, String defaultQuality, Optional<String> batchTopic) {
        this.batchTopic = batchTopic;
        this.generatorModel = generatorModel;
        this.defaultQuality = defaultQuality;
        this.generator = generator;
        this.store = store;
        this.executor = executor;
        this.clock = clock;
        this.defaultSize = defaultSize;
        this.links = links;
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
        Optional<String> outOfBounds = RequestBounds.problem(input);
        if (outOfBounds.isPresent()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, outOfBounds.get())));
        }
        String requested = input.getRequest().getImageSize();
        Optional<ImageSize> size = requested == null || requested.isBlank() ? Optional.of(defaultSize) : ImageSize.parse(requested);
        if (size.isEmpty()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT,
                    "imageSize " + RequestBounds.shown(requested) + " is not WIDTHxHEIGHT, e.g. 1024x1024")));
        }
        String quality = input.getRequest().getQuality() == null || input.getRequest().getQuality().isBlank()
                ? defaultQuality : input.getRequest().getQuality().strip();
        // The prompt-worker checks these before paying for a prompt; checked again for events that did not pass it.
        Optional<String> problem = ImageModels.sizeProblem(generatorModel, size.get().width(), size.get().height())
                .map(p -> "imageSize " + p).or(() -> ImageModels.qualityProblem(generatorModel, quality));
        if (problem.isPresent()) {
            return CompletableFuture.completedFuture(Outcome.failed(Failure.permanent(ErrorCodes.INVALID_INPUT, problem.get())));
        }
        if (batchTopic.isPresent() && Priorities.BATCH.equals(Priorities.of(input.getRequest()))) {
            // It can wait: handed to the batch lane now, so that its offset is not held for hours.
            return CompletableFuture.completedFuture(Outcome.forwarded(batchTopic.get(), input));
        }
        CompletableFuture<Outcome<ImageReady>> mine = new CompletableFuture<>();
        CompletableFuture<Outcome<ImageReady>> theirs = running.putIfAbsent(input.getRequestId(), mine);
        if (theirs != null) {
            log.info("request {}: its image is being generated already; waiting for that call", input.getRequestId());
            return theirs;
        }
        CompletableFuture.supplyAsync(() -> generate(input, size.get(), quality), executor).whenComplete((outcome, error) -> {
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
        Optional<StoredImage> existing;
        try {
            existing = store.find(input.getRequestId());
        } catch (IOException e) {
            return Outcome.failed(Failure.retriable(ErrorCodes.STORAGE, "reading the image store failed: " + e.getMessage()));
        } catch (CallFailedException e) {
            return Outcome.failed(e.failure());
        }
        if (existing.isPresent()) {
            // Redelivered or replayed: the image was bought already.
            log.info("request {}: reusing the stored image {}", input.getRequestId(), existing.get().address());
            return Outcome.published(ready(input, existing.get(), null, 0));
        }
        Instant started = clock.instant();
        GeneratedImage image;
        try {
            image = generator.generate(input.getRequestId(), input.getPrompt(), size, quality);
        } catch (RuntimeException e) {
            return Outcome.failed(OpenAiErrors.INSTANCE.classify(e));
        }
        Instant generated = clock.instant();
        Optional<ImageFormat> format = ImageFormat.of(image.bytes());
        if (format.isEmpty()) {
            return Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER,
                    "the provider's " + image.bytes().length + " bytes are not a PNG, JPEG or WebP image"));
        }
        Optional<String> wrongSize = format.get().sizeProblem(size);
        if (wrongSize.isPresent()) {
            return Outcome.failed(Failure.retriable(ErrorCodes.INVALID_ANSWER, "the provider drew " + wrongSize.get()));
        }
        StoredImage stored;
        try {
            stored = store.put(input.getRequestId(), image.bytes(), format.get());
        } catch (IOException e) {
            return Outcome.failed(Failure.retriable(ErrorCodes.STORAGE, "storing the image failed: " + e.getMessage()));
        } catch (CallFailedException e) {
            // The image was paid for and the store stayed away beyond the retry budget: a replay buys it again.
            log.warn("request {}: the image was generated but could not be stored: {}", input.getRequestId(), e.getMessage());
            return Outcome.failed(e.failure());
        }
        return Outcome.published(ready(input, stored, image, generated.toEpochMilli() - started.toEpochMilli()));
    }

    /** @param image the image as generated, or null for one found in the store */
    private ImageReady ready(PromptCreated input, StoredImage stored, GeneratedImage image, long latencyMs) {
        return ReadyEvents.of(input, stored, links.url(stored), image, generatorModel, latencyMs, clock.instant(),
                Priorities.INTERACTIVE);
    }
}
